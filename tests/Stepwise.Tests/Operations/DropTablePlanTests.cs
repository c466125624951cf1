using static Stepwise.Tests.Operations.PlanTesting;

namespace Stepwise.Tests.Operations;

/// <summary><c>drop_table</c> planned without a database.</summary>
public class DropTablePlanTests
{
    [Fact]
    public void A_table_is_dropped_at_complete()
    {
        var plan = Plan("""
            operations:
              - drop_table: {name: logs}
            """);

        Assert.Empty(plan.Start);
        AssertSteps("""
            Sql AccessExclusive public.logs tx | DROP TABLE IF EXISTS "public"."logs"
            """, plan.Complete);
        Assert.Empty(plan.Rollback);
    }

    [Fact]
    public void A_missing_table_is_refused() =>
        Assert.Contains("table public.nope does not exist", Refused("operations:\n  - drop_table: {name: nope}\n").Message);
}
