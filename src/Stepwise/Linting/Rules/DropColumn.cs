using Stepwise.Planning;

namespace Stepwise.Linting.Rules;

/// <summary>DROP COLUMN breaks the old application version, which still selects the column.</summary>
public sealed class DropColumn : LintRule
{
    /// <inheritdoc />
    public override string Id => "drop-column";

    /// <inheritdoc />
    public override string Title => "Dropping a column breaks old application versions";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override string Why =>
        "DROP COLUMN only marks the column dropped in the catalog, under a brief ACCESS EXCLUSIVE lock (its space is reclaimed as rows are "
        + "rewritten later), and its data can no longer be read. The old application version keeps running while a migration applies: from "
        + "the moment the drop commits, every query of it that names the column fails, and an ORM that selects every mapped column fails on "
        + "every read of the table.";

    /// <inheritdoc />
    public override string Fix =>
        "Expand and contract: first deploy a version that neither reads nor writes the column (for an ORM, remove it from the model so it is "
        + "no longer selected), then drop it in a later migration with an ignore that says which version stopped using it.";

    /// <inheritdoc />
    public override string FixExample =>
        "-- stepwise:ignore drop-column -- nothing reads legacy_state since v42\n"
        + "ALTER TABLE workflow_runs DROP COLUMN legacy_state;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        // A column this file added is unknown to the version deployed before it.
        foreach (var (table, command, column) in ColumnHistory.OnExistingColumns(statement, context, "AT_DropColumn"))
        {
            context.Report(statement,
                $"ALTER TABLE ... DROP COLUMN {column} breaks old application instances still running while the migration applies: every query "
                + $"of theirs that names {column} fails once the drop commits, and its data is gone"
                + (command.Cascade ? "; CASCADE also drops the views and constraints that use it" : "")
                + $"; it takes {HeldLocks.On(statement.Tree, table).ToSql()} on {table} briefly",
                table);
        }
    }
}
