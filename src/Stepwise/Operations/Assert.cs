namespace Stepwise.Operations;

/// <summary><c>assert</c> (a Stepwise addition): a query that must return no rows, checked after start and/or after complete.</summary>
/// <param name="When"><c>start</c>, <c>complete</c> or <c>both</c> (default).</param>
public sealed record AssertOperation(string Name, string Sql, string When = "both") : Operation, IOperationFormat
{
    static OperationFormat IOperationFormat.Format { get; } = new("assert", ["name", "sql", "when"], f =>
    {
        var name = f.String("name", required: true);
        var sql = f.Sql("sql", SqlFragment.Query, required: true);
        var when = f.Enum("when", ["start", "complete", "both"]) ?? "both";
        return name is null || sql is null ? null : new AssertOperation(name, sql, when);
    });

    /// <summary>A check step after start and/or after complete: the query must return no rows.</summary>
    public override void Plan(PlanBuilder plan)
    {
        var step = Steps.Check($"assert {Name}", Sql);
        if (When is "start" or "both")
        {
            plan.Start(step);
        }
        if (When is "complete" or "both")
        {
            plan.Complete(step);
        }
    }
}
