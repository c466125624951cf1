using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Cli.Rendering;

/// <summary>The locks a statement takes, as short phrases for plans: <c>SHARE on workflow_runs (blocks writes)</c>.</summary>
internal static class StatementLockText
{
    /// <summary>
    /// One phrase per relation; with <paramref name="why"/>, also which part of the statement takes it; with a database's
    /// <paramref name="foreignKeys"/>, also the tables the statement locks through a foreign key it drops, rebuilds or validates.
    /// </summary>
    public static IReadOnlyList<string> For(SqlStatement statement, bool why = false, ForeignKeys? foreignKeys = null) =>
        statement.Tree is { } tree
            ? [.. StatementLocks.For(tree, foreignKeys).Select(l => $"{l.Level.ToSql()} on {l.Relation} ({l.Level.Blocks()}{(why ? "; " + l.Reason : "")})")]
            : [];
}
