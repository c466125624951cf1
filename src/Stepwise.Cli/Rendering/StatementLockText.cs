using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Cli.Rendering;

/// <summary>The locks a statement takes, as short phrases for plans: <c>SHARE on workflow_runs (blocks writes)</c>.</summary>
internal static class StatementLockText
{
    public static IReadOnlyList<string> For(SqlStatement statement) =>
        statement.Tree is { } tree
            ? [.. StatementLocks.For(tree).Select(l => $"{l.Level.ToSql()} on {l.Relation} ({l.Level.Blocks()})")]
            : [];
}
