using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary><c>drop_constraint</c> (also read from pgroll's <c>drop_multicolumn_constraint</c>): dropped at complete.</summary>
public sealed record DropConstraint(string Table, string Name) : Operation, IOperationFormat
{
    static OperationFormat IOperationFormat.Format { get; } = new(["drop_constraint", "drop_multicolumn_constraint"], ["table", "name", "up", "down"], (f, _) =>
    {
        var table = f.String("table", required: true);
        var name = f.String("name", required: true);
        const string Why = "Stepwise drops the constraint in place at complete, so there is no column copy to fill";
        f.IgnoredUnlessUnchanged("up", Why);
        f.IgnoredUnlessUnchanged("down", Why);
        return table is null || name is null ? null : new DropConstraint(table, name);
    });

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
