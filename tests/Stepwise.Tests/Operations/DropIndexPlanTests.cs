using static Stepwise.Tests.Operations.PlanTesting;

namespace Stepwise.Tests.Operations;

/// <summary><c>drop_index</c> planned without a database.</summary>
public class DropIndexPlanTests
{
    [Fact]
    public void An_index_is_dropped_concurrently_at_complete()
    {
        var plan = Plan("""
            operations:
              - drop_index: {name: users_team_idx}
            """);

        Assert.Empty(plan.Start);
        AssertSteps("""
            Sql ShareUpdateExclusive public.users_team_idx no tx | DROP INDEX CONCURRENTLY IF EXISTS "public"."users_team_idx"
            """, plan.Complete);
        Assert.Empty(plan.Rollback);
    }

    [Fact]
    public void The_index_of_a_constraint_is_refused_with_what_to_drop_instead()
    {
        var schema = Schema with { Indexes = [new Stepwise.Catalog.IndexModel("public", "users", "users_pkey", "", true, true, Constraint: "users_pkey")] };

        var error = Refused("operations:\n  - drop_index: {name: users_pkey}\n", schema);

        Assert.Equal(("index public.users_pkey belongs to constraint users_pkey", "drop the constraint with drop_constraint instead"), (error.Message, error.Hint));
    }
}
