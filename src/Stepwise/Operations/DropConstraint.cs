using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary><c>drop_constraint</c> (also read from pgroll's <c>drop_multicolumn_constraint</c>): dropped at complete.</summary>
public sealed record DropConstraint(string Table, string Name) : Operation
{
    /// <inheritdoc />
    public override string Kind => "drop_constraint";

    /// <summary>Complete: the constraint is dropped (old code may rely on it until then).</summary>
    public override void Plan(PlanBuilder plan)
    {
        var table = plan.RequireTable(Table, Position);
        if (table.Constraints.All(k => k.Name != Name))
        {
            throw new PlanningException($"constraint {Name} does not exist on {table.QualifiedName}", Position, "check the name");
        }
        plan.Complete(Steps.Sql($"drop constraint {Name} on {table.QualifiedName}", $"ALTER TABLE {Quote.Ident(table.Schema, table.Name)} DROP CONSTRAINT IF EXISTS {Quote.Ident(Name)}"));
    }
}
