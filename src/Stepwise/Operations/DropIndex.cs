using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary><c>drop_index</c>, CONCURRENTLY, at complete (old code may still use it until then).</summary>
public sealed record DropIndex(string Name) : Operation, IOperationFormat
{
    static OperationFormat IOperationFormat.Format { get; } = new("drop_index", ["name"], f => f.String("name", required: true) is { } name ? new DropIndex(name) : null);

    /// <summary>Complete: <c>DROP INDEX CONCURRENTLY</c> (old code may use it until then).</summary>
    public override void Plan(PlanBuilder plan)
    {
        var (schema, name) = PlanBuilder.Split(Name);
        var index = plan.Schema.Indexes.FirstOrDefault(i => i.Schema == schema && i.Name == name)
            ?? throw new PlanningException($"index {schema}.{name} does not exist", Position, "check the name");
        if (index.Constraint is not null)
        {
            throw new PlanningException($"index {schema}.{name} belongs to constraint {index.Constraint}", Position, "drop the constraint with drop_constraint instead");
        }
        plan.Complete(Steps.Sql($"drop index {schema}.{name} (concurrently)", $"DROP INDEX CONCURRENTLY IF EXISTS {Quote.Ident(schema, name)}"));
    }
}
