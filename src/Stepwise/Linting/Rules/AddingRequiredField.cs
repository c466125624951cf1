using Stepwise.Planning;

namespace Stepwise.Linting.Rules;

/// <summary>ADD COLUMN ... NOT NULL without a DEFAULT: fails on a table with rows, and breaks old application versions that do not write the column.</summary>
public sealed class AddingRequiredField : LintRule
{
    /// <inheritdoc />
    public override string Id => "adding-required-field";

    /// <inheritdoc />
    public override string Title => "New NOT NULL columns need a DEFAULT";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override string Why =>
        "A column added without a DEFAULT is NULL in every existing row. When it is declared NOT NULL (or PRIMARY KEY), PostgreSQL checks the table "
        + "under the ACCESS EXCLUSIVE lock ADD COLUMN takes and fails at the first row, so on any table with rows the migration fails. On an empty "
        + "table it succeeds, and then the old application version, which keeps running while a migration applies and does not know the column, "
        + "fails on every INSERT that leaves it out.";

    /// <inheritdoc />
    public override string Fix =>
        "Give the column a DEFAULT (since PostgreSQL 11 a non-volatile default is stored in the catalog, without rewriting the table). Or add it "
        + "nullable, deploy a version that writes it, backfill existing rows in batches, and only then make it required (a CHECK (col IS NOT NULL) "
        + "NOT VALID constraint, validated separately).";

    /// <inheritdoc />
    public override string FixExample => "ALTER TABLE workflow_runs ADD COLUMN state text NOT NULL DEFAULT 'pending';";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        foreach (var column in AddedColumn.In(statement, context))
        {
            // Generated, identity and serial columns get their values from PostgreSQL, not from the application.
            if (!(column.IsNotNull || column.IsPrimaryKey) || !column.Default.IsMissing || column.IsGenerated || column.IsIdentity || column.Type is { IsSerial: true })
            {
                continue;
            }
            var lockLevel = HeldLocks.On(statement.Tree, column.Table);
            context.Report(statement,
                $"{column} {(column.IsNotNull ? "NOT NULL" : "PRIMARY KEY")} without a DEFAULT fails if {column.Table} has any rows (each would hold NULL), and old application instances "
                + $"still running while the migration applies fail on every INSERT that leaves {column.Name} out; it takes {lockLevel.ToSql()} on {column.Table}",
                column.Table);
        }
    }
}
