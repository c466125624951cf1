using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>RENAME COLUMN breaks the old application version, which still uses the old name.</summary>
public sealed class RenamingColumn : LintRule
{
    /// <inheritdoc />
    public override string Id => "renaming-column";

    /// <inheritdoc />
    public override string Title => "Renaming a column breaks old application versions";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override string Why =>
        "A rename is only a catalog change, done under a brief ACCESS EXCLUSIVE lock. But the old application version keeps running while a "
        + "migration applies, and from the moment the rename commits every query of it that names the old column fails, until its last "
        + "instance is gone; an ORM that selects every mapped column fails on every read of the table.";

    /// <inheritdoc />
    public override string Fix =>
        "Expand and contract: add a column with the new name, keep both in step (a trigger, or the application writing both), backfill it, "
        + "deploy a version that uses only the new column, and drop the old one in a later migration. Or keep the database name and rename "
        + "only in the application's mapping.";

    /// <inheritdoc />
    public override string FixExample =>
        "ALTER TABLE workflow_runs ADD COLUMN status text;\n"
        + "-- a trigger keeps status = state on every write; backfill; deploy a version that uses status; in a later migration:\n"
        + "-- stepwise:ignore drop-column -- no deployed version uses state since v42\n"
        + "ALTER TABLE workflow_runs DROP COLUMN state;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        var root = statement.Tree.Root;
        if (root.Kind != "RenameStmt" || root.String("renameType") != "OBJECT_COLUMN"
            || root.String("relationType") is not ("OBJECT_TABLE" or "OBJECT_VIEW" or "OBJECT_MATVIEW" or "OBJECT_FOREIGN_TABLE")
            || statement.Tree.Target is not { } table || context.IsCreatedInFile(table)
            || root.String("subname") is not { } column)
        {
            return;
        }
        // A column this file added is unknown to the version deployed before it.
        if (ColumnHistory.Of(context, table, column) is { AddedInFile: true })
        {
            return;
        }
        var word = CommandTags.ObjectWord(root.String("relationType"));
        context.Report(statement,
            $"ALTER {word} ... RENAME COLUMN {column} TO {root.String("newname")} breaks old application instances still running while the "
            + $"migration applies: every query of theirs that names {column} fails once the rename commits; it takes "
            + $"{HeldLocks.On(statement.Tree, table).ToSql()} on {table}",
            table);
    }
}
