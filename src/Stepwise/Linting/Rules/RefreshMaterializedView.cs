using Stepwise.Planning;

namespace Stepwise.Linting.Rules;

/// <summary>REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view while its query runs.</summary>
public sealed class RefreshMaterializedView : LintRule
{
    /// <inheritdoc />
    public override string Id => "refresh-materialized-view";

    /// <inheritdoc />
    public override string Title => "Refresh materialized views concurrently";

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override bool ScalesWithTableSize => true;

    /// <inheritdoc />
    public override string Why =>
        "REFRESH MATERIALIZED VIEW without CONCURRENTLY takes ACCESS EXCLUSIVE on the view, runs the view's query again and swaps in the result: "
        + "every SELECT of the view waits until the query has finished, however long it takes. WITH NO DATA empties the view instead, "
        + "and every later query of it fails until it is refreshed with data.";

    /// <inheritdoc />
    public override string Fix =>
        "Use REFRESH MATERIALIZED VIEW CONCURRENTLY: it takes EXCLUSIVE, so reads go on while it compares the old and new rows. "
        + "It needs a UNIQUE index on the view over plain columns, without WHERE, and the view must already be populated.";

    /// <inheritdoc />
    public override string FixExample =>
        "CREATE UNIQUE INDEX CONCURRENTLY daily_totals_day ON daily_totals (day);\nREFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        var root = statement.Tree.Root;
        if (root.Kind != "RefreshMatViewStmt" || root.Bool("concurrent"))
        {
            return;
        }
        foreach (var refresh in StatementLocks.For(statement.Tree).Where(l => !context.IsCreatedInFile(l.Relation)))
        {
            var view = refresh.Relation;
            var message = root.Bool("skipData")
                ? $"REFRESH MATERIALIZED VIEW {view} WITH NO DATA empties it under {refresh.Level.ToSql()}: afterwards every query of {view} fails (\"has not been populated\") until it is refreshed with data"
                : $"REFRESH MATERIALIZED VIEW {view} without CONCURRENTLY takes {refresh.Level.ToSql()} on it: every query of {view} waits until the view's query has run again";
            context.Report(statement, message, view);
        }
    }
}
