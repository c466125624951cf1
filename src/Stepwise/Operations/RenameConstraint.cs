using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary><c>rename_constraint</c>: metadata only.</summary>
public sealed record RenameConstraint(string Table, string From, string To) : Operation, IOperationFormat
{
    static OperationFormat IOperationFormat.Format { get; } = new("rename_constraint", ["table", "from", "to"], f =>
    {
        var table = f.String("table", required: true);
        var from = f.String("from", required: true);
        var to = f.String("to", required: true);
        return table is null || from is null || to is null ? null : new RenameConstraint(table, from, to);
    });

    /// <summary>Start: renamed (metadata only); rollback: renamed back.</summary>
    public override void Plan(PlanBuilder plan)
    {
        var table = plan.RequireTable(Table, Position);
        if (table.Constraints.All(k => k.Name != From))
        {
            throw new PlanningException($"constraint {From} does not exist on {table.QualifiedName}", Position, "check the name");
        }
        var name = Quote.Ident(table.Schema, table.Name);
        plan.Start(Steps.Sql($"rename constraint {From} to {To}", $"ALTER TABLE {name} RENAME CONSTRAINT {Quote.Ident(From)} TO {Quote.Ident(To)}"),
            Steps.Sql($"rename constraint {To} back to {From}", $"ALTER TABLE {name} RENAME CONSTRAINT {Quote.Ident(To)} TO {Quote.Ident(From)}"));
    }
}
