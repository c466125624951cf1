using Stepwise.Planning;

namespace Stepwise.Operations;

/// <summary>
/// <c>rename_column</c>: the new version sees the column under its new name (a view in its version schema) while old
/// code keeps the old one; complete renames the column itself (metadata only). <c>alter_column</c> with <c>name</c> does the same.
/// </summary>
public sealed record RenameColumn(string Table, string From, string To) : Operation, IOperationFormat
{
    static OperationFormat IOperationFormat.Format { get; } = new("rename_column", ["table", "from", "to"], f =>
    {
        var table = f.String("table", required: true);
        var from = f.String("from", required: true);
        var to = f.String("to", required: true);
        return table is null || from is null || to is null ? null : new RenameColumn(table, from, to);
    });

    /// <summary>Start: the version schema's view shows the column as <see cref="To"/>; complete: the column renamed; rollback: the version schema dropped.</summary>
    public override void Plan(PlanBuilder plan)
    {
        var table = plan.RequireTable(Table, Position);
        PlanBuilder.RequireColumn(table, From, Position);
        Rename(plan, table, From, To, Position);
    }

    /// <summary>The new version sees <paramref name="column"/> of <paramref name="table"/> as <paramref name="to"/>; complete renames it.</summary>
    internal static void Rename(PlanBuilder plan, Catalog.TableModel table, string column, string to, FilePosition position)
    {
        if (table.Columns.Any(c => c.Name == to))
        {
            throw new PlanningException($"column {table.QualifiedName}.{to} already exists", position, "choose another name");
        }
        plan.Version.RenameColumn(table, column, to);
    }
}
