using static Stepwise.Tests.Operations.PlanTesting;

namespace Stepwise.Tests.Operations;

/// <summary><c>assert</c> planned without a database.</summary>
public class AssertPlanTests
{
    [Fact]
    public void An_assert_checks_at_start_and_complete_unless_told_otherwise()
    {
        var plan = Plan("""
            operations:
              - assert: {name: no_orphans, sql: SELECT 1 FROM users WHERE team_id IS NULL}
              - assert: {name: only_start, sql: SELECT 1, when: start}
            """);

        AssertSteps("""
            Check AccessShare public.users tx | SELECT 1 FROM users WHERE team_id IS NULL
            Check None tx | SELECT 1
            """, plan.Start);
        AssertSteps("""
            Check AccessShare public.users tx | SELECT 1 FROM users WHERE team_id IS NULL
            """, plan.Complete);
        Assert.Empty(plan.Rollback);
    }
}
