using static Stepwise.Tests.Operations.PlanTesting;

namespace Stepwise.Tests.Operations;

/// <summary><c>create_view</c> and <c>replace_view</c> planned without a database.</summary>
public class CreateViewPlanTests
{
    [Fact]
    public void A_replaced_view_is_created_again_as_it_was_on_rollback_with_its_comment()
    {
        var plan = Plan("""
            operations:
              - create_view: {name: team_sizes, definition: "SELECT team_id, count(*) AS n FROM users GROUP BY team_id"}
              - replace_view: {name: active_users, definition: "SELECT id, email, team_id FROM users"}
            """);

        AssertSteps("""
            Sql AccessExclusive public.team_sizes tx | CREATE OR REPLACE VIEW "public"."team_sizes" AS SELECT team_id, count(*) AS n FROM users GROUP BY team_id
            Sql AccessExclusive public.active_users tx | CREATE OR REPLACE VIEW "public"."active_users" AS SELECT id, email, team_id FROM users
            """, plan.Start);
        Assert.Empty(plan.Complete);
        AssertSteps("""
            Sql AccessExclusive public.active_users tx | DROP VIEW IF EXISTS "public"."active_users"
            Sql AccessShare public.users tx | CREATE VIEW "public"."active_users" AS  SELECT users.id, …
            Sql ShareUpdateExclusive public.active_users tx | COMMENT ON VIEW "public"."active_users" IS 'who is here'
            Sql AccessExclusive public.team_sizes tx | DROP VIEW IF EXISTS "public"."team_sizes"
            """, plan.Rollback);
    }

    [Theory]
    [InlineData("create_view: {name: active_users, definition: SELECT 1}", "view public.active_users already exists")]
    [InlineData("replace_view: {name: nope, definition: SELECT 1}", "view public.nope does not exist, so it cannot be replaced")]
    public void Creating_an_existing_view_or_replacing_a_missing_one_is_refused(string operation, string message) =>
        Assert.Contains(message, Refused($"operations:\n  - {operation}\n").Message);
}
