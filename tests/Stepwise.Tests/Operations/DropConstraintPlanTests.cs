using static Stepwise.Tests.Operations.PlanTesting;

namespace Stepwise.Tests.Operations;

/// <summary><c>drop_constraint</c> planned without a database.</summary>
public class DropConstraintPlanTests
{
    [Fact]
    public void A_constraint_is_dropped_at_complete()
    {
        var plan = Plan("""
            operations:
              - drop_constraint: {table: users, name: users_score_check}
            """);

        Assert.Empty(plan.Start);
        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "users_score_check"
            """, plan.Complete);
        Assert.Empty(plan.Rollback);
    }

    [Fact]
    public void A_missing_constraint_is_refused() =>
        Assert.Contains("constraint nope does not exist on public.users", Refused("operations:\n  - drop_constraint: {table: users, name: nope}\n").Message);
}
