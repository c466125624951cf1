using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>What the statements earlier in a file say about one column: its type, and whether this file added it.</summary>
/// <param name="Type">The type the column has after those statements, when they give it.</param>
/// <param name="AddedInFile">True when CREATE TABLE or ADD COLUMN in this file made it: no application version deployed before the file knows it.</param>
internal sealed record ColumnHistory(ColumnType? Type, bool AddedInFile)
{
    /// <summary>
    /// The ALTER TABLE sub-commands of <paramref name="subtype"/> on columns the old application version knows:
    /// on a table that existed before the file, and not added earlier in it.
    /// </summary>
    public static IEnumerable<(RelationName Table, AlterTableCommand Command, string Column)> OnExistingColumns(LintStatement statement, LintContext context, string subtype)
    {
        if (statement.Tree.Root.String("objtype") is not ("OBJECT_TABLE" or "OBJECT_FOREIGN_TABLE")
            || statement.Tree.Target is not { } table || context.IsCreatedInFile(table))
        {
            yield break;
        }
        foreach (var command in statement.Tree.AlterTableCommands.Where(c => c.Subtype == subtype))
        {
            if (command.Name is { } column && Of(context, table, column) is not { AddedInFile: true })
            {
                yield return (table, command, column);
            }
        }
    }

    /// <summary>
    /// What CREATE TABLE, ADD COLUMN, ALTER COLUMN TYPE, RENAME COLUMN and DROP COLUMN of <paramref name="table"/> in the
    /// statements before the current one left of <paramref name="column"/>; null when none of them touches it (without a
    /// database, Stepwise then knows nothing about it).
    /// </summary>
    public static ColumnHistory? Of(LintContext context, RelationName table, string column) =>
        context.Remembered<Tables>().TryGetValue(LintContext.Normalize(table), out var columns) ? columns.GetValueOrDefault(column) : null;

    /// <summary>The columns of every table as the statements so far left them (replayed one statement at a time).</summary>
    internal sealed class Tables : Dictionary<RelationName, Dictionary<string, ColumnHistory>>;

    /// <summary>Replays <paramref name="statement"/> into its table's columns as the linter moves past it.</summary>
    internal static void Remember(LintStatement statement, LintContext context)
    {
        if (statement.Tree.Target is not { } target || statement.Tree.Root.Kind is not ("CreateStmt" or "AlterTableStmt" or "RenameStmt"))
        {
            return;
        }
        var tables = context.Remembered<Tables>();
        var key = LintContext.Normalize(target);
        if (!tables.TryGetValue(key, out var columns))
        {
            tables[key] = columns = new Dictionary<string, ColumnHistory>(StringComparer.Ordinal);
        }
        var root = statement.Tree.Root;
        switch (root.Kind)
        {
            case "CreateStmt":
                columns.Clear();
                foreach (var definition in root.Nodes("tableElts").Where(e => e.Kind == "ColumnDef"))
                {
                    Define(columns, definition);
                }
                break;
            case "AlterTableStmt":
                foreach (var command in statement.Tree.AlterTableCommands)
                {
                    Replay(columns, command);
                }
                break;
            case "RenameStmt" when root.String("renameType") == "OBJECT_COLUMN" && root.String("subname") is { } from && root.String("newname") is { } to:
                columns.Remove(from, out var renamed);
                columns[to] = renamed ?? new ColumnHistory(null, AddedInFile: false);
                break;
        }
    }

    private static void Replay(Dictionary<string, ColumnHistory> columns, AlterTableCommand command)
    {
        switch (command.Subtype)
        {
            case "AT_AddColumn":
                Define(columns, command.Definition);
                break;
            case "AT_AlterColumnType" when command.Name is { } name:
                var addedInFile = columns.TryGetValue(name, out var known) && known.AddedInFile;
                columns[name] = new ColumnHistory(ColumnType.OfColumn(command.Definition), addedInFile);
                break;
            case "AT_DropColumn" when command.Name is { } name:
                columns.Remove(name);
                break;
        }
    }

    private static void Define(Dictionary<string, ColumnHistory> columns, SqlNode columnDef)
    {
        if (columnDef.String("colname") is { } name)
        {
            columns[name] = new ColumnHistory(ColumnType.OfColumn(columnDef), AddedInFile: true);
        }
    }
}
