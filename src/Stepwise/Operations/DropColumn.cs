using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary><c>drop_column</c>: the new version's view leaves the column out; the column stays until complete (old code still reads it), then is dropped.</summary>
/// <param name="Down">pgroll's <c>down</c>: an SQL expression filling the column for rows written by new code while old code may still read it.</param>
public sealed record DropColumn(string Table, string Column, string? Down = null) : Operation, IOperationFormat
{
    static OperationFormat IOperationFormat.Format { get; } = new("drop_column", ["table", "column", "down"], f =>
    {
        var table = f.String("table", required: true);
        var column = f.String("column", required: true);
        var down = f.Sql("down", SqlFragment.DataExpression);
        return table is null || column is null ? null : new DropColumn(table, column, string.IsNullOrWhiteSpace(down) ? null : down);
    });

    /// <summary>
    /// Complete: the column is dropped (old code reads it until then). With <see cref="Down"/>, a fill trigger computes
    /// it for rows new code writes without it, until complete.
    /// </summary>
    public override void Plan(PlanBuilder plan)
    {
        var table = plan.RequireTable(Table, Position);
        PlanBuilder.RequireColumn(table, Column, Position);
        plan.Version.HideColumn(table, Column);
        if (Down is not null)
        {
            ColumnRecipes.FillTrigger(plan, table, Column, Down, keep: false);
        }
        plan.Complete(Steps.Sql($"drop column {table.QualifiedName}.{Column}", $"ALTER TABLE {Quote.Ident(table.Schema, table.Name)} DROP COLUMN IF EXISTS {Quote.Ident(Column)}"));
    }
}
