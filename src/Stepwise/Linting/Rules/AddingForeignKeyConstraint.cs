using Stepwise.Planning;

namespace Stepwise.Linting.Rules;

/// <summary>Adding a validated foreign key checks every row while writes to both tables wait.</summary>
public sealed class AddingForeignKeyConstraint : LintRule
{
    /// <inheritdoc />
    public override string Id => "adding-foreign-key-constraint";

    /// <inheritdoc />
    public override string Title => "Add foreign keys NOT VALID, then validate them";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.ShareRowExclusive;

    /// <inheritdoc />
    public override bool ScalesWithTableSize => true;

    /// <inheritdoc />
    public override LockedWork Work => LockedWork.Scan;

    /// <inheritdoc />
    public override string Why =>
        "A foreign key is enforced by triggers on both tables, so adding one takes SHARE ROW EXCLUSIVE on the table and on the " +
        "table it references; unless the constraint is NOT VALID, PostgreSQL then checks every existing row against the " +
        "referenced table before it returns. Writes to both tables wait for the whole check, which on a big table is minutes, " +
        "and inside a transaction the locks stay until it commits. ADD COLUMN ... REFERENCES does the same check when the new " +
        "column gets a DEFAULT or a generated value; without one every row is NULL and PostgreSQL skips it.";

    /// <inheritdoc />
    public override string Fix =>
        "Add the constraint NOT VALID: new and changed rows are checked from then on and the locks last only a moment. Then run " +
        "VALIDATE CONSTRAINT in a later transaction (a later migration, or a -- stepwise:no-transaction section): it checks the " +
        "old rows under SHARE UPDATE EXCLUSIVE on the table and ROW SHARE on the referenced one, so reads and writes go on. For " +
        "a new column, add the column first and its foreign key this way. (PostgreSQL 15 refuses NOT VALID on a foreign key of a " +
        "partitioned table.)";

    /// <inheritdoc />
    public override string FixExample =>
        "ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_org_fk FOREIGN KEY (organization_id) REFERENCES organizations (id) NOT VALID;\n" +
        "-- later, in its own transaction:\n" +
        "ALTER TABLE workflow_runs VALIDATE CONSTRAINT workflow_runs_org_fk;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        if (statement.Tree.Target is not { } table || context.IsCreatedInFile(table))
        {
            return;
        }
        foreach (var added in AddedConstraints.In(statement.Tree))
        {
            // A column constraint cannot be NOT VALID, but PostgreSQL skips the check when the new column is all NULL.
            var validated = added.OnNewColumn ? added.NewColumnHasValues : !added.Definition.SkipValidation;
            if (added.Definition.Type != "CONSTR_FOREIGN" || !validated || added.Definition.ReferencedTable is not { } referenced)
            {
                continue;
            }
            var clause = added.OnNewColumn ? $"{added.Clause} {referenced} on a column with a DEFAULT" : $"{added.Clause} ... REFERENCES {referenced} without NOT VALID";
            var tableLock = HeldLocks.On(statement.Tree, table);
            var holding = $"{tableLock.ToSql()} on {table}";
            var blocked = HeldLocks.Blocked(tableLock, table);
            if (LintContext.Normalize(referenced) != LintContext.Normalize(table))
            {
                var referencedLock = HeldLocks.On(statement.Tree, referenced);
                holding += $" and {referencedLock.ToSql()} on {referenced}";
                blocked += $" and {HeldLocks.Blocked(referencedLock, referenced)}";
            }
            context.Report(statement,
                $"ALTER TABLE {table} {clause} checks every row of {table} against {referenced} while holding {holding}: " +
                $"{blocked} are blocked {HeldLocks.Until(statement, "the check ends")}", table);
        }
    }
}
