using Stepwise.Planning;

namespace Stepwise.Linting.Rules;

/// <summary>DROP NOT NULL lets NULLs reach old application versions that assume there are none.</summary>
public sealed class DropNotNull : LintRule
{
    /// <inheritdoc />
    public override string Id => "drop-not-null";

    /// <inheritdoc />
    public override string Title => "Dropping NOT NULL can surprise old application versions";

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override string Why =>
        "ALTER COLUMN ... DROP NOT NULL is a catalog change under a brief ACCESS EXCLUSIVE lock, with no scan. But once the new version writes "
        + "NULLs, the old version, which keeps running while a migration applies, reads rows it assumed impossible: null dereferences, "
        + "failed mapping into non-nullable fields, wrong results from comparisons with NULL.";

    /// <inheritdoc />
    public override string Fix =>
        "First deploy a version that handles NULL wherever it reads the column, then drop the constraint (with an ignore saying which version "
        + "that is). Or keep the column NOT NULL and give it a DEFAULT that stands for \"none\".";

    /// <inheritdoc />
    public override string FixExample =>
        "-- stepwise:ignore drop-not-null -- every deployed version reads finished_at as nullable since v42\n"
        + "ALTER TABLE workflow_runs ALTER COLUMN finished_at DROP NOT NULL;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        // A column this file added is unknown to the version deployed before it.
        foreach (var (table, command, column) in ColumnHistory.OnExistingColumns(statement, context, "AT_DropNotNull"))
        {
            context.Report(statement,
                $"ALTER TABLE ... ALTER COLUMN {column} DROP NOT NULL lets NULL into {table}.{column}: old application instances still running "
                + $"while the migration applies may read NULLs they never expected; it takes {HeldLocks.On(statement.Tree, table).ToSql()} on {table} briefly (no scan)",
                table);
        }
    }
}
