using Stepwise.Planning;

namespace Stepwise.Operations;

/// <summary>
/// <c>rename_table</c>: the new version sees the table under its new name (a view in its version schema) while old code
/// keeps the old one; complete renames the table itself (metadata only).
/// </summary>
public sealed record RenameTable(string From, string To) : Operation, IOperationFormat
{
    static OperationFormat IOperationFormat.Format { get; } = new("rename_table", ["from", "to"], f =>
    {
        var from = f.String("from", required: true);
        var to = f.String("to", required: true);
        return from is null || to is null ? null : new RenameTable(from, to);
    });

    /// <summary>Start: the version schema's view of the table takes the new name; complete: the table renamed; rollback: the version schema dropped.</summary>
    public override void Plan(PlanBuilder plan)
    {
        var table = plan.RequireTable(From, Position);
        var (schema, to) = PlanBuilder.Split(To);
        if (To.Contains('.', StringComparison.Ordinal) && schema != table.Schema)
        {
            throw new PlanningException($"rename_table renames within a schema: {table.QualifiedName} cannot become {schema}.{to}", Position, "write to: without a schema, or move the table with an sql operation");
        }
        if (plan.Schema.Tables.Any(t => t.Schema == table.Schema && t.Name == to) || plan.Schema.Views.Any(v => v.Schema == table.Schema && v.Name == to))
        {
            throw new PlanningException($"{table.Schema}.{to} already exists", Position, "choose another name");
        }
        plan.Version.RenameTable(table, to);
    }
}
