using static Stepwise.Tests.Operations.PlanTesting;

namespace Stepwise.Tests.Operations;

/// <summary><c>drop_table</c> planned without a database.</summary>
public class DropTablePlanTests
{
    [Fact]
    public void A_table_is_dropped_at_complete_and_the_new_version_has_no_view_of_it()
    {
        var plan = Plan("""
            operations:
              - drop_table: {name: logs}
            """);

        AssertSteps("""
            Sql None tx | CREATE SCHEMA "public_migration"
            Sql None tx | COMMENT ON SCHEMA "public_migration" IS 'stepwise version schema of migration'
            Sql AccessShare public.teams tx | CREATE VIEW "public_migration"."teams" WITH (security_invoker = true) AS SELECT "id", "name" FROM "public"."teams"
            Sql AccessShare public.users tx | CREATE VIEW "public_migration"."users" WITH (security_invoker = true) AS SELECT "id", "email", "team_id", "nickname", "score" FROM "public"."users"
            """, plan.Start);
        AssertSteps("""
            Sql AccessExclusive public.logs tx | DROP TABLE IF EXISTS "public"."logs"
            """, plan.Complete);
        AssertSteps("""
            Sql None tx | DROP SCHEMA IF EXISTS "public_migration" CASCADE
            """, plan.Rollback);
    }

    [Fact]
    public void A_missing_table_is_refused() =>
        Assert.Contains("table public.nope does not exist", Refused("operations:\n  - drop_table: {name: nope}\n").Message);
}
