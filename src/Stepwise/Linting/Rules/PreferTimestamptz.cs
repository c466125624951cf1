namespace Stepwise.Linting.Rules;

/// <summary>timestamp without time zone stores wall-clock readings, not instants.</summary>
public sealed class PreferTimestamptz : LintRule
{
    /// <inheritdoc />
    public override string Id => "prefer-timestamptz";

    /// <inheritdoc />
    public override string Title => "Prefer timestamptz over timestamp";

    /// <inheritdoc />
    public override string Why =>
        "timestamp (without time zone) stores a date and a clock reading with no zone. now() and other zoned values are converted to it in the "
        + "session's TimeZone, so rows written by sessions with different settings, or either side of a daylight-saving change, cannot be compared or "
        + "ordered reliably. timestamptz stores an instant (as UTC) and converts to the session's zone only for display. Converting the column later "
        + "rewrites the table under ACCESS EXCLUSIVE unless the session running it uses TimeZone UTC (PostgreSQL 12 and later skip the rewrite then).";

    /// <inheritdoc />
    public override string Fix => "Declare the column timestamptz (timestamp with time zone).";

    /// <inheritdoc />
    public override string FixExample => "ALTER TABLE workflow_runs ADD COLUMN finished_at timestamptz;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        foreach (var column in ColumnDeclarations.In(statement.Tree))
        {
            if (column.BuiltInType == "timestamp")
            {
                context.Report(statement,
                    $"{column} (without time zone): it stores a clock reading without a zone, so values written under different TimeZone settings do not compare — use timestamptz",
                    column.Table);
            }
        }
    }
}
