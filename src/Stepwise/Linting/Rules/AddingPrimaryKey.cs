using Stepwise.Planning;

namespace Stepwise.Linting.Rules;

/// <summary>ADD PRIMARY KEY without USING INDEX builds the index under ACCESS EXCLUSIVE.</summary>
public sealed class AddingPrimaryKey : LintRule
{
    /// <inheritdoc />
    public override string Id => "adding-primary-key";

    /// <inheritdoc />
    public override string Title => "Add primary keys using an index built concurrently";

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
        "ALTER TABLE ... ADD PRIMARY KEY builds its unique index while holding ACCESS EXCLUSIVE on the table: unlike CREATE " +
        "INDEX, which only blocks writes, it blocks reads too, for the whole build, which on a big table is minutes. Key columns " +
        "that are not yet NOT NULL are also scanned for NULLs under the same lock. ADD COLUMN ... PRIMARY KEY does the same over " +
        "every row of the table.";

    /// <inheritdoc />
    public override string Fix =>
        "Build the index first with CREATE UNIQUE INDEX CONCURRENTLY (reads and writes go on), then add the key with ADD " +
        "CONSTRAINT ... PRIMARY KEY USING INDEX, which only attaches the finished index. Make the key columns NOT NULL " +
        "beforehand (see setting-not-null), or that step scans the table for NULLs under ACCESS EXCLUSIVE. (PostgreSQL refuses " +
        "USING INDEX on a partitioned table.)";

    /// <inheritdoc />
    public override string FixExample =>
        "CREATE UNIQUE INDEX CONCURRENTLY workflow_runs_pkey ON workflow_runs (id);\n" +
        "ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_pkey PRIMARY KEY USING INDEX workflow_runs_pkey;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context) =>
        AddedConstraints.ReportIndexBuilds(statement, context, "CONSTR_PRIMARY");
}
