using Stepwise.Planning;

namespace Stepwise.Linting.Rules;

/// <summary>TRUNCATE ... CASCADE also empties every table that references the named ones, which the statement does not name.</summary>
public sealed class TruncateCascade : LintRule
{
    /// <inheritdoc />
    public override string Id => "truncate-cascade";

    /// <inheritdoc />
    public override string Title => "TRUNCATE ... CASCADE empties tables it does not name";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override string Why =>
        "With CASCADE, TRUNCATE also empties every table that has a foreign key to a table it names, and the tables referencing those in turn, "
        + "taking ACCESS EXCLUSIVE on each. Which tables that is depends on the schema when it runs, not on the statement: a foreign key added "
        + "since the migration was written silently widens it, and the rows are gone for good once it commits.";

    /// <inheritdoc />
    public override string Fix =>
        "Name every table to empty and leave CASCADE out: PostgreSQL then refuses, instead of widening, when another table still references "
        + "one of them. Or delete the rows in batches.";

    /// <inheritdoc />
    public override string FixExample => "TRUNCATE job_events, job_runs; -- every table named; fails if another table still references them";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        var root = statement.Tree.Root;
        // No exemption for tables created in the file: an existing table may have been given a foreign key to one of them.
        if (root.Kind != "TruncateStmt" || root.String("behavior") != "DROP_CASCADE" || statement.Tree.Relations is not [var first, ..] tables)
        {
            return;
        }
        var named = string.Join(", ", tables);
        context.Report(statement,
            $"TRUNCATE {named} CASCADE also empties every table with a foreign key to {(tables.Count == 1 ? "it" : "any of them")}, and the tables "
            + $"referencing those in turn, none of which the statement names; each gets {HeldLocks.On(statement.Tree, first).ToSql()} and loses all its rows",
            first);
    }
}
