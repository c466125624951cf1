using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary><c>drop_table</c>: the new version has no view of it; the table stays until complete (old code still uses it), then is dropped.</summary>
public sealed record DropTable(string Name) : Operation, IOperationFormat
{
    static OperationFormat IOperationFormat.Format { get; } = new("drop_table", ["name"], f => f.String("name", required: true) is { } name ? new DropTable(name) : null);

    /// <summary>Complete: the table is dropped (old code reads it until then).</summary>
    public override void Plan(PlanBuilder plan)
    {
        var table = plan.RequireTable(Name, Position);
        plan.Version.HideTable(table);
        plan.Complete(Steps.Sql($"drop table {table.QualifiedName}", $"DROP TABLE IF EXISTS {Quote.Ident(table.Schema, table.Name)}"));
    }
}
