using static Stepwise.Tests.Operations.PlanTesting;

namespace Stepwise.Tests.Operations;

/// <summary><c>drop_column</c> planned without a database.</summary>
public class DropColumnPlanTests
{
    [Fact]
    public void A_column_is_hidden_from_the_new_version_dropped_at_complete_and_down_fills_it_until_then()
    {
        var plan = Plan("""
            operations:
              - drop_column: {table: users, column: nickname, down: "split_part(email, '@', 1)"}
              - drop_column: {table: users, column: score}
            """);

        AssertSteps("""
            Sql None tx | CREATE OR REPLACE FUNCTION "public"."_stepwise_fill_users_nickname"() RETURNS trigger LANGUAGE plpgsql AS $stepwise$ …
            Sql ShareRowExclusive public.users tx | CREATE TRIGGER "_stepwise_fill_users_nickname" BEFORE INSERT OR UPDATE ON "public"."users" FOR EACH ROW WHEN (NEW."nickname" IS NULL) EXECUTE FUNCTION "public"."_stepwise_fill_users_nickname"()
            Sql None tx | CREATE SCHEMA "public_migration"
            Sql None tx | COMMENT ON SCHEMA "public_migration" IS 'stepwise version schema of migration'
            Sql AccessShare public.teams tx | CREATE VIEW "public_migration"."teams" WITH (security_invoker = true) AS SELECT "id", "name" FROM "public"."teams"
            Sql AccessShare public.users tx | CREATE VIEW "public_migration"."users" WITH (security_invoker = true) AS SELECT "id", "email", "team_id" FROM "public"."users"
            Sql AccessShare public.logs tx | CREATE VIEW "public_migration"."logs" WITH (security_invoker = true) AS SELECT "line" FROM "public"."logs"
            """, plan.Start);
        AssertSteps("""
            Sql AccessExclusive public.users tx | DROP TRIGGER IF EXISTS "_stepwise_fill_users_nickname" ON "public"."users"
            Sql None tx | DROP FUNCTION IF EXISTS "public"."_stepwise_fill_users_nickname"()
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP COLUMN IF EXISTS "nickname"
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP COLUMN IF EXISTS "score"
            """, plan.Complete);
        AssertSteps("""
            Sql None tx | DROP SCHEMA IF EXISTS "public_migration" CASCADE
            Sql AccessExclusive public.users tx | DROP TRIGGER IF EXISTS "_stepwise_fill_users_nickname" ON "public"."users"
            Sql None tx | DROP FUNCTION IF EXISTS "public"."_stepwise_fill_users_nickname"()
            """, plan.Rollback);
    }
}
