using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary><c>drop_column</c>: the column stays until complete (old code still reads it), then is dropped.</summary>
public sealed record DropColumn(string Table, string Column) : Operation
{
    /// <inheritdoc />
    public override string Kind => "drop_column";

    /// <summary>Complete: the column is dropped (old code reads it until then).</summary>
    public override void Plan(PlanBuilder plan)
    {
        var table = plan.RequireTable(Table, Position);
        PlanBuilder.RequireColumn(table, Column, Position);
        plan.Complete(Steps.Sql($"drop column {table.QualifiedName}.{Column}", $"ALTER TABLE {Quote.Ident(table.Schema, table.Name)} DROP COLUMN IF EXISTS {Quote.Ident(Column)}"));
    }
}
