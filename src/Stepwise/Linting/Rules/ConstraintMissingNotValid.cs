using Stepwise.Planning;

namespace Stepwise.Linting.Rules;

/// <summary>Adding a validated CHECK constraint scans the whole table under ACCESS EXCLUSIVE.</summary>
public sealed class ConstraintMissingNotValid : LintRule
{
    /// <inheritdoc />
    public override string Id => "constraint-missing-not-valid";

    /// <inheritdoc />
    public override string Title => "Add CHECK constraints NOT VALID, then validate them";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override bool ScalesWithTableSize => true;

    /// <inheritdoc />
    public override LockedWork Work => LockedWork.Scan;

    /// <inheritdoc />
    public override string Why =>
        "ALTER TABLE ... ADD CONSTRAINT ... CHECK takes ACCESS EXCLUSIVE on the table and, unless the constraint is NOT VALID, " +
        "reads every row to prove the condition holds before it returns. Nobody can read or write the table meanwhile, which on " +
        "a big table is minutes, and inside a transaction the lock stays until it commits. A CHECK written on ADD COLUMN is " +
        "checked against every row the same way, and a column constraint cannot be NOT VALID.";

    /// <inheritdoc />
    public override string Fix =>
        "Add the constraint NOT VALID: new and changed rows are checked from then on and the ACCESS EXCLUSIVE lasts only a " +
        "moment. Then run VALIDATE CONSTRAINT in a later transaction (a later migration, or a -- stepwise:no-transaction " +
        "section): it scans the old rows under SHARE UPDATE EXCLUSIVE, so reads and writes go on. For a new column, add the " +
        "column first and its CHECK this way.";

    /// <inheritdoc />
    public override string FixExample =>
        "ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_attempts_positive CHECK (attempts > 0) NOT VALID;\n" +
        "-- later, in its own transaction:\n" +
        "ALTER TABLE workflow_runs VALIDATE CONSTRAINT workflow_runs_attempts_positive;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        if (statement.Tree.Target is not { } table || context.IsCreatedInFile(table))
        {
            return;
        }
        foreach (var added in AddedConstraints.In(statement.Tree))
        {
            if (added.Definition.Type != "CONSTR_CHECK" || added.Definition.SkipValidation)
            {
                continue;
            }
            var how = added.OnNewColumn ? "(a column constraint, which cannot be NOT VALID)" : "without NOT VALID";
            var tableLock = HeldLocks.On(statement.Tree, table);
            context.Report(statement,
                $"ALTER TABLE {table} {added.Clause} {how} scans every row of {table} under {tableLock.ToSql()}: " +
                $"{HeldLocks.Blocked(tableLock, table)} are blocked {HeldLocks.Until(statement, "the scan ends")}", table);
        }
    }
}
