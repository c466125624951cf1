using Stepwise.Planning;

namespace Stepwise.Linting.Rules;

/// <summary>ADD UNIQUE without USING INDEX builds the index under ACCESS EXCLUSIVE.</summary>
public sealed class AddingUniqueConstraint : LintRule
{
    /// <inheritdoc />
    public override string Id => "adding-unique-constraint";

    /// <inheritdoc />
    public override string Title => "Add unique constraints using an index built concurrently";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override bool ScalesWithTableSize => true;

    /// <inheritdoc />
    public override LockedWork Work => LockedWork.IndexBuild;

    /// <inheritdoc />
    public override string Why =>
        "ALTER TABLE ... ADD UNIQUE builds its unique index while holding ACCESS EXCLUSIVE on the table: unlike CREATE INDEX, " +
        "which only blocks writes, it blocks reads too, for the whole build, which on a big table is minutes. ADD COLUMN ... " +
        "UNIQUE does the same over every row of the table.";

    /// <inheritdoc />
    public override string Fix =>
        "Build the index first with CREATE UNIQUE INDEX CONCURRENTLY (reads and writes go on), then add the constraint with " +
        "ADD CONSTRAINT ... UNIQUE USING INDEX, which only attaches the finished index and holds ACCESS EXCLUSIVE for a moment. " +
        "(PostgreSQL refuses USING INDEX on a partitioned table.)";

    /// <inheritdoc />
    public override string FixExample =>
        "CREATE UNIQUE INDEX CONCURRENTLY workflow_runs_external_id_key ON workflow_runs (external_id);\n" +
        "ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_external_id_key UNIQUE USING INDEX workflow_runs_external_id_key;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context) =>
        AddedConstraints.ReportIndexBuilds(statement, context, "CONSTR_UNIQUE");
}
