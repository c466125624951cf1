using static Stepwise.Tests.Operations.PlanTesting;

namespace Stepwise.Tests.Operations;

/// <summary><c>rename_constraint</c> planned without a database.</summary>
public class RenameConstraintPlanTests
{
    [Fact]
    public void A_constraint_is_renamed_at_start_and_back_on_rollback()
    {
        var plan = Plan("""
            operations:
              - rename_constraint: {table: users, from: users_score_check, to: users_score_positive}
            """);

        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" RENAME CONSTRAINT "users_score_check" TO "users_score_positive"
            """, plan.Start);
        Assert.Empty(plan.Complete);
        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" RENAME CONSTRAINT "users_score_positive" TO "users_score_check"
            """, plan.Rollback);
    }

    [Fact]
    public void A_missing_constraint_is_refused() =>
        Assert.Contains("constraint nope does not exist on public.users", Refused("operations:\n  - rename_constraint: {table: users, from: nope, to: other}\n").Message);
}
