using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>RENAME TO on a table (or view) breaks the old application version, which still uses the old name.</summary>
public sealed class RenamingTable : LintRule
{
    /// <inheritdoc />
    public override string Id => "renaming-table";

    /// <inheritdoc />
    public override string Title => "Renaming a table breaks old application versions";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override string Why =>
        "A rename is only a catalog change, done under a brief ACCESS EXCLUSIVE lock. But the old application version keeps running while a "
        + "migration applies, and from the moment the rename commits every query of it on the old name fails with \"relation does not "
        + "exist\", until its last instance is gone.";

    /// <inheritdoc />
    public override string Fix =>
        "Keep the old name working while old versions run: in the same transaction as the rename, create a view with the old name (a view "
        + "over one table is updatable, so old versions can still read and write through it), ignore this rule for the rename saying so, and "
        + "drop the view once no deployed version uses the old name.";

    /// <inheritdoc />
    public override string FixExample =>
        "-- stepwise:ignore renaming-table -- the view below keeps the old name working\n"
        + "ALTER TABLE workflow_runs RENAME TO runs;\n"
        + "CREATE VIEW workflow_runs AS SELECT * FROM runs;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        var root = statement.Tree.Root;
        if (root.Kind != "RenameStmt" || root.String("renameType") is not ("OBJECT_TABLE" or "OBJECT_VIEW" or "OBJECT_MATVIEW" or "OBJECT_FOREIGN_TABLE")
            || statement.Tree.Target is not { } table || context.IsCreatedInFile(table))
        {
            return;
        }
        var word = CommandTags.ObjectWord(root.String("renameType"));
        context.Report(statement,
            $"ALTER {word} {table} RENAME TO {root.String("newname")} breaks old application instances still running while the migration "
            + $"applies: every query of theirs on {table} fails once the rename commits; it takes {HeldLocks.On(statement.Tree, table).ToSql()} on {table}",
            table);
    }
}
