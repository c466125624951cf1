using static Stepwise.Tests.Operations.PlanTesting;

namespace Stepwise.Tests.Operations;

/// <summary><c>add_column</c> planned without a database: steps, order, locks and SQL.</summary>
public class AddColumnPlanTests
{
    [Fact]
    public void A_not_null_column_with_up_a_check_a_foreign_key_and_unique_is_expanded_then_contracted()
    {
        var plan = Plan("""
            operations:
              - add_column: {table: users, column: {name: org, type: bigint, nullable: false, unique: true, comment: the org, references: {name: users_org_fkey, table: teams, column: id}, check: {name: org_positive, constraint: org > 0}}, up: team_id}
            """);

        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ADD COLUMN "org" bigint
            Sql None tx | CREATE OR REPLACE FUNCTION "public"."_stepwise_fill_users_org"() RETURNS trigger LANGUAGE plpgsql AS $stepwise$ …
            Sql ShareRowExclusive public.users tx | CREATE TRIGGER "_stepwise_fill_users_org" BEFORE INSERT OR UPDATE ON "public"."users" FOR EACH ROW WHEN (NEW."org" IS NULL) EXECUTE FUNCTION "public"."_stepwise_fill_users_org"()
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ADD CONSTRAINT "_stepwise_nn_users_org" CHECK ("org" IS NOT NULL) NOT VALID
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ADD CONSTRAINT "org_positive" CHECK (org > 0) NOT VALID
            Backfill RowExclusive public.users tx | public.users SET org = team_id WHERE "org" IS NULL BY (id)
            Check AccessShare public.users tx | SELECT 1 FROM "public"."users" WHERE "org" IS NULL LIMIT 1
            Sql ShareRowExclusive public.users tx | ALTER TABLE "public"."users" ADD CONSTRAINT "users_org_fkey" FOREIGN KEY ("org") REFERENCES "public"."teams" ("id") ON DELETE NO ACTION NOT VALID
            Sql ShareUpdateExclusive public.users tx | ALTER TABLE "public"."users" VALIDATE CONSTRAINT "_stepwise_nn_users_org"
            Sql ShareUpdateExclusive public.users tx | ALTER TABLE "public"."users" VALIDATE CONSTRAINT "org_positive"
            Sql ShareUpdateExclusive public.users tx | ALTER TABLE "public"."users" VALIDATE CONSTRAINT "users_org_fkey"
            Sql ShareUpdateExclusive public.users no tx | CREATE UNIQUE INDEX CONCURRENTLY "users_org_key" ON "public"."users" ("org")
            Sql ShareUpdateExclusive public.users tx | COMMENT ON COLUMN "public"."users"."org" IS 'the org'
            """, plan.Start);
        AssertSteps("""
            Sql AccessExclusive public.users tx | DROP TRIGGER IF EXISTS "_stepwise_fill_users_org" ON "public"."users"
            Sql None tx | DROP FUNCTION IF EXISTS "public"."_stepwise_fill_users_org"()
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ALTER COLUMN "org" SET NOT NULL
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "_stepwise_nn_users_org"
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ADD CONSTRAINT "users_org_key" UNIQUE USING INDEX "users_org_key"
            """, plan.Complete);
        AssertSteps("""
            Sql ShareUpdateExclusive public.users_org_key no tx | DROP INDEX CONCURRENTLY IF EXISTS "public"."users_org_key"
            Sql AccessExclusive public.users tx | DROP TRIGGER IF EXISTS "_stepwise_fill_users_org" ON "public"."users"
            Sql None tx | DROP FUNCTION IF EXISTS "public"."_stepwise_fill_users_org"()
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP COLUMN IF EXISTS "org"
            """, plan.Rollback);
    }

    [Fact]
    public void A_constant_default_is_stored_once_and_nothing_is_backfilled()
    {
        var plan = Plan("""
            operations:
              - add_column: {table: users, column: {name: active, type: boolean, nullable: false, default: 'true'}}
            """);

        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ADD COLUMN "active" boolean DEFAULT true
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ADD CONSTRAINT "_stepwise_nn_users_active" CHECK ("active" IS NOT NULL) NOT VALID
            Check AccessShare public.users tx | SELECT 1 FROM "public"."users" WHERE "active" IS NULL LIMIT 1
            Sql ShareUpdateExclusive public.users tx | ALTER TABLE "public"."users" VALIDATE CONSTRAINT "_stepwise_nn_users_active"
            """, plan.Start);
        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ALTER COLUMN "active" SET NOT NULL
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "_stepwise_nn_users_active"
            """, plan.Complete);
        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP COLUMN IF EXISTS "active"
            """, plan.Rollback);
    }

    [Fact]
    public void A_volatile_default_is_set_for_new_rows_and_backfilled_through_pages_on_a_table_without_a_key()
    {
        var plan = Plan("""
            operations:
              - add_column: {table: logs, column: {name: at, type: timestamptz, nullable: true, default: now()}}
            """);

        AssertSteps("""
            Sql AccessExclusive public.logs tx | ALTER TABLE "public"."logs" ADD COLUMN "at" timestamptz
            Sql AccessExclusive public.logs tx | ALTER TABLE "public"."logs" ALTER COLUMN "at" SET DEFAULT now()
            Sql None tx | CREATE OR REPLACE FUNCTION "public"."_stepwise_fill_logs_at"() RETURNS trigger LANGUAGE plpgsql AS $stepwise$ …
            Sql ShareRowExclusive public.logs tx | CREATE TRIGGER "_stepwise_fill_logs_at" BEFORE INSERT OR UPDATE ON "public"."logs" FOR EACH ROW WHEN (NEW."at" IS NULL) EXECUTE FUNCTION "public"."_stepwise_fill_logs_at"()
            Backfill RowExclusive public.logs tx | public.logs SET at = now() WHERE "at" IS NULL BY ()
            """, plan.Start);
        AssertSteps("""
            Sql AccessExclusive public.logs tx | DROP TRIGGER IF EXISTS "_stepwise_fill_logs_at" ON "public"."logs"
            Sql None tx | DROP FUNCTION IF EXISTS "public"."_stepwise_fill_logs_at"()
            """, plan.Complete);
        AssertSteps("""
            Sql AccessExclusive public.logs tx | DROP TRIGGER IF EXISTS "_stepwise_fill_logs_at" ON "public"."logs"
            Sql None tx | DROP FUNCTION IF EXISTS "public"."_stepwise_fill_logs_at"()
            Sql AccessExclusive public.logs tx | ALTER TABLE "public"."logs" DROP COLUMN IF EXISTS "at"
            """, plan.Rollback);
    }

    [Fact]
    public void The_fill_function_declares_the_row_s_columns_so_up_reads_them_by_bare_name()
    {
        var plan = Plan("""
            operations:
              - add_column: {table: users, column: {name: org, type: bigint, nullable: true}, up: team_id * 2}
            """);

        Assert.Equal("""
            CREATE OR REPLACE FUNCTION "public"."_stepwise_fill_users_org"() RETURNS trigger LANGUAGE plpgsql AS $stepwise$
            #variable_conflict use_column
            DECLARE
                "id" bigint := NEW."id";
                "email" text := NEW."email";
                "team_id" bigint := NEW."team_id";
                "nickname" text := NEW."nickname";
                "score" integer := NEW."score";
            BEGIN
                NEW."org" := (team_id * 2);
                RETURN NEW;
            END
            $stepwise$
            """, plan.Start[1].Sql);
    }

    [Fact]
    public void Keep_fill_trigger_defers_dropping_the_trigger_past_complete()
    {
        var plan = Plan("""
            operations:
              - add_column: {table: users, column: {name: org, type: bigint, nullable: true}, up: team_id, keep_fill_trigger: true}
            """);

        Assert.Empty(plan.Complete);
        AssertSteps("""
            Sql AccessExclusive public.users tx | DROP TRIGGER IF EXISTS "_stepwise_fill_users_org" ON "public"."users"
            Sql None tx | DROP FUNCTION IF EXISTS "public"."_stepwise_fill_users_org"()
            """, plan.Kept);
    }

    [Theory]
    [InlineData("{name: email, type: text, nullable: true}", "column public.users.email already exists")]
    [InlineData("{name: doubled, type: int, generated: {expression: score * 2}}", "cannot add a generated or identity column")]
    [InlineData("{name: seq, type: bigint, generated: {identity: {}}}", "cannot add a generated or identity column")]
    [InlineData("{name: k, type: int, pk: true}", "cannot add a primary key column")]
    [InlineData("{name: needed, type: int}", "is NOT NULL but has neither up nor default")]
    public void What_would_rewrite_or_fail_on_the_table_is_refused_at_the_column(string column, string message)
    {
        var error = Refused($"operations:\n  - add_column: {{table: users, column: {column}}}\n");

        Assert.Contains(message, error.Message);
        Assert.Equal(new Stepwise.Operations.FilePosition(2, 40), error.Position);
    }

    [Fact]
    public void A_missing_table_is_refused_at_the_operation() =>
        Assert.Equal(("table public.nope does not exist", new Stepwise.Operations.FilePosition(2, 5)),
            Refused("operations:\n  - add_column: {table: nope, column: {name: c, type: int, nullable: true}}\n") is var e ? (e.Message, e.Position) : default);
}
