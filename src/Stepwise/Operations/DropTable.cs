using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary><c>drop_table</c>: the table stays until complete (old code still uses it), then is dropped.</summary>
public sealed record DropTable(string Name) : Operation
{
    /// <inheritdoc />
    public override string Kind => "drop_table";

    /// <summary>Complete: the table is dropped (old code reads it until then).</summary>
    public override void Plan(PlanBuilder plan)
    {
        var table = plan.RequireTable(Name, Position);
        plan.Complete(Steps.Sql($"drop table {table.QualifiedName}", $"DROP TABLE IF EXISTS {Quote.Ident(table.Schema, table.Name)}"));
    }
}
