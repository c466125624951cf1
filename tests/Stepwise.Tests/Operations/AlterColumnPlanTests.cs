using static Stepwise.Tests.Operations.PlanTesting;

namespace Stepwise.Tests.Operations;

/// <summary><c>alter_column</c> planned without a database.</summary>
public class AlterColumnPlanTests
{
    [Fact]
    public void Not_null_with_up_fills_the_nulls_then_validates_a_check_and_sets_not_null_at_complete()
    {
        var plan = Plan("""
            operations:
              - alter_column: {table: users, column: nickname, nullable: false, up: "split_part(email, '@', 1)"}
            """);

        AssertSteps("""
            Sql None tx | CREATE OR REPLACE FUNCTION "public"."_stepwise_fill_users_nickname"() RETURNS trigger LANGUAGE plpgsql AS $stepwise$ …
            Sql ShareRowExclusive public.users tx | CREATE TRIGGER "_stepwise_fill_users_nickname" BEFORE INSERT OR UPDATE ON "public"."users" FOR EACH ROW WHEN (NEW."nickname" IS NULL) EXECUTE FUNCTION "public"."_stepwise_fill_users_nickname"()
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ADD CONSTRAINT "_stepwise_nn_users_nickname" CHECK ("nickname" IS NOT NULL) NOT VALID
            Backfill RowExclusive public.users tx | public.users SET nickname = split_part(email, '@', 1) WHERE "nickname" IS NULL BY (id)
            Check AccessShare public.users tx | SELECT 1 FROM "public"."users" WHERE "nickname" IS NULL LIMIT 1
            Sql ShareUpdateExclusive public.users tx | ALTER TABLE "public"."users" VALIDATE CONSTRAINT "_stepwise_nn_users_nickname"
            """, plan.Start);
        AssertSteps("""
            Sql AccessExclusive public.users tx | DROP TRIGGER IF EXISTS "_stepwise_fill_users_nickname" ON "public"."users"
            Sql None tx | DROP FUNCTION IF EXISTS "public"."_stepwise_fill_users_nickname"()
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ALTER COLUMN "nickname" SET NOT NULL
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "_stepwise_nn_users_nickname"
            """, plan.Complete);
        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "_stepwise_nn_users_nickname"
            Sql AccessExclusive public.users tx | DROP TRIGGER IF EXISTS "_stepwise_fill_users_nickname" ON "public"."users"
            Sql None tx | DROP FUNCTION IF EXISTS "public"."_stepwise_fill_users_nickname"()
            """, plan.Rollback);
    }

    [Fact]
    public void Nullable_drops_not_null_at_start_and_rollback_puts_it_back_through_a_validated_check()
    {
        var plan = Plan("""
            operations:
              - alter_column: {table: users, column: email, nullable: true}
            """);

        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ALTER COLUMN "email" DROP NOT NULL
            """, plan.Start);
        Assert.Empty(plan.Complete);
        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ADD CONSTRAINT "_stepwise_nn_users_email" CHECK ("email" IS NOT NULL) NOT VALID
            Sql ShareUpdateExclusive public.users tx | ALTER TABLE "public"."users" VALIDATE CONSTRAINT "_stepwise_nn_users_email"
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ALTER COLUMN "email" SET NOT NULL
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "_stepwise_nn_users_email"
            """, plan.Rollback);
    }

    [Fact]
    public void Check_with_up_default_comment_foreign_key_and_unique_each_have_their_undo()
    {
        var plan = Plan("""
            operations:
              - alter_column: {table: users, column: score, default: '10', comment: points, check: {name: score_small, constraint: score < 100}, up: 'least(score, 99)'}
              - alter_column: {table: users, column: team_id, references: {name: users_team_fkey, table: teams, column: id, on_delete: CASCADE}, unique: {name: users_team_key}}
            """);

        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ADD CONSTRAINT "score_small" CHECK (score < 100) NOT VALID
            Backfill RowExclusive public.users tx | public.users SET score = least(score, 99) WHERE NOT (score < 100) BY (id)
            Sql ShareUpdateExclusive public.users tx | ALTER TABLE "public"."users" VALIDATE CONSTRAINT "score_small"
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ALTER COLUMN "score" SET DEFAULT 10
            Sql ShareUpdateExclusive public.users tx | COMMENT ON COLUMN "public"."users"."score" IS 'points'
            Sql ShareRowExclusive public.users tx | ALTER TABLE "public"."users" ADD CONSTRAINT "users_team_fkey" FOREIGN KEY ("team_id") REFERENCES "public"."teams" ("id") ON DELETE CASCADE NOT VALID
            Sql ShareUpdateExclusive public.users tx | ALTER TABLE "public"."users" VALIDATE CONSTRAINT "users_team_fkey"
            Sql ShareUpdateExclusive public.users no tx | CREATE UNIQUE INDEX CONCURRENTLY "users_team_key" ON "public"."users" ("team_id")
            """, plan.Start);
        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ADD CONSTRAINT "users_team_key" UNIQUE USING INDEX "users_team_key"
            """, plan.Complete);
        AssertSteps("""
            Sql ShareUpdateExclusive public.users_team_key no tx | DROP INDEX CONCURRENTLY IF EXISTS "public"."users_team_key"
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "users_team_fkey"
            Sql ShareUpdateExclusive public.users tx | COMMENT ON COLUMN "public"."users"."score" IS NULL
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ALTER COLUMN "score" DROP DEFAULT
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "score_small"
            """, plan.Rollback);
    }

    [Fact]
    public void A_missing_column_is_refused_at_the_operation() =>
        Assert.Contains("column public.users.nope does not exist", Refused("operations:\n  - alter_column: {table: users, column: nope, nullable: true}\n").Message);
}
