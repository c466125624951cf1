using Stepwise.Planning;

namespace Stepwise.Linting.Rules;

/// <summary>ADD EXCLUDE always builds its index under ACCESS EXCLUSIVE: PostgreSQL has no online form.</summary>
public sealed class AddingExclusionConstraint : LintRule
{
    /// <inheritdoc />
    public override string Id => "adding-exclusion-constraint";

    /// <inheritdoc />
    public override string Title => "Exclusion constraints are built under ACCESS EXCLUSIVE";

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
        "ALTER TABLE ... ADD ... EXCLUDE builds the constraint's index (often GiST, slow to build) and checks every row against " +
        "it while holding ACCESS EXCLUSIVE on the table: nobody can read or write the table until the build ends, which on a " +
        "big table is minutes. Unlike primary keys and unique constraints there is no USING INDEX form, and unlike CHECK and " +
        "foreign keys no NOT VALID one, so the index cannot be built beforehand.";

    /// <inheritdoc />
    public override string Fix =>
        "Declare exclusion constraints when the table is created. On a populated table there is no online way: add it while the " +
        "table is small, in a maintenance window, or by moving the rows to a new table that has the constraint (create it, " +
        "copy in batches while a trigger mirrors writes, then swap the names).";

    /// <inheritdoc />
    public override string FixExample =>
        "CREATE TABLE maintenance_windows (id bigint PRIMARY KEY, during tstzrange NOT NULL, EXCLUDE USING gist (during WITH &&));";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context) =>
        AddedConstraints.ReportIndexBuilds(statement, context, "CONSTR_EXCLUSION");
}
