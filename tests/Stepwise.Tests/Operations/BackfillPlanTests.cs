using static Stepwise.Tests.Operations.PlanTesting;

namespace Stepwise.Tests.Operations;

/// <summary><c>backfill</c> planned without a database.</summary>
public class BackfillPlanTests
{
    [Fact]
    public void A_backfill_is_one_batched_step_by_the_primary_key_and_rollback_leaves_data_alone()
    {
        var plan = Plan("""
            operations:
              - backfill: {table: users, set: {score: id % 7, nickname: upper(email)}, where: id < 100}
            """);

        AssertSteps("""
            Backfill RowExclusive public.users tx | public.users SET score = id % 7, nickname = upper(email) WHERE id < 100 BY (id)
            """, plan.Start);
        Assert.Empty(plan.Complete);
        Assert.Empty(plan.Rollback);
    }

    [Fact]
    public void A_missing_column_is_refused() =>
        Assert.Contains("column public.users.nope does not exist", Refused("operations:\n  - backfill: {table: users, set: {nope: '1'}}\n").Message);
}
