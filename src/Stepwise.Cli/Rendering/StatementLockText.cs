using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Cli.Rendering;

/// <summary>The locks a statement takes, as short phrases for plans: <c>SHARE on workflow_runs (blocks writes)</c>.</summary>
internal static class StatementLockText
{
    /// <summary>One phrase per relation; with <paramref name="why"/>, also which part of the statement takes it.</summary>
    public static IReadOnlyList<string> For(SqlStatement statement, bool why = false) =>
        statement.Tree is { } tree
            ? [.. StatementLocks.For(tree).Select(l => $"{l.Level.ToSql()} on {l.Relation} ({l.Level.Blocks()}{(why ? "; " + l.Reason : "")})")]
            : [];
}
