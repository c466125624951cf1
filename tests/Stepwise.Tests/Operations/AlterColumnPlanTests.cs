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

    [Fact]
    public void Up_fixes_in_one_pass_every_row_the_new_constraints_reject_and_leaves_the_others()
    {
        var plan = Plan("""
            operations:
              - alter_column: {table: users, column: nickname, nullable: false, check: {name: nick_long, constraint: length(nickname) > 3}, unique: {name: nick_key}, up: "'user ' || id", down: nickname}
              - alter_column: {table: users, column: team_id, references: {name: users_team_fkey, table: teams, column: id}, up: "SELECT CASE WHEN EXISTS (SELECT 1 FROM teams WHERE teams.id = team_id) THEN team_id END"}
            """);

        var backfills = plan.Start.Where(s => s.Kind == Stepwise.Planning.StepKind.Backfill).Select(Line).ToList();
        Assert.Equal([
            """Backfill RowExclusive public.users tx | public.users SET nickname = 'user ' || id WHERE ("nickname" IS NULL) OR (NOT (length(nickname) > 3)) OR (EXISTS (SELECT 1 FROM "public"."users" _stepwise_other WHERE _stepwise_other."nickname" = "public"."users"."nickname" AND _stepwise_other.ctid < "public"."users".ctid)) BY (id)""",
            """Backfill RowExclusive public.users tx | public.users SET team_id = (SELECT CASE WHEN EXISTS (SELECT 1 FROM teams WHERE teams.id = team_id) THEN team_id END) WHERE "team_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "public"."teams" _stepwise_referenced WHERE _stepwise_referenced."id" = "public"."users"."team_id") BY (id)""",
        ], backfills);
        // The fill trigger still gives old writers' NULLs up's value; the fixes come before the validations and the unique index.
        var order = plan.Start.Select(s => s.Sql ?? "backfill").ToList();
        Assert.True(order.FindIndex(s => s == "backfill") < order.FindIndex(s => s.Contains("VALIDATE CONSTRAINT \"nick_long\"", StringComparison.Ordinal)));
        Assert.True(order.FindIndex(s => s == "backfill") < order.FindIndex(s => s.StartsWith("CREATE UNIQUE INDEX", StringComparison.Ordinal)));
    }

    [Fact]
    public void Down_of_a_dropped_not_null_fills_the_nulls_new_code_wrote_before_rollback_validates_not_null_again()
    {
        var plan = Plan("""
            operations:
              - alter_column: {table: users, column: email, nullable: true, up: email, down: "SELECT CASE WHEN email IS NULL THEN 'nobody' ELSE email END"}
            """);

        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ALTER COLUMN "email" DROP NOT NULL
            """, plan.Start);
        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ADD CONSTRAINT "_stepwise_nn_users_email" CHECK ("email" IS NOT NULL) NOT VALID
            Backfill RowExclusive public.users tx | public.users SET email = (SELECT CASE WHEN email IS NULL THEN 'nobody' ELSE email END) WHERE "email" IS NULL BY (id)
            Sql ShareUpdateExclusive public.users tx | ALTER TABLE "public"."users" VALIDATE CONSTRAINT "_stepwise_nn_users_email"
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ALTER COLUMN "email" SET NOT NULL
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "_stepwise_nn_users_email"
            """, plan.Rollback);
    }

    [Theory]
    [InlineData("{table: users, column: nickname, comment: shown, up: nickname, down: nickname}")]
    [InlineData("{table: users, column: nickname, default: \"'x'\", up: nickname, down: nickname}")]
    [InlineData("{table: users, column: nickname, check: {name: c, constraint: nickname <> ''}, down: \"SELECT CASE WHEN nickname = '' THEN NULL ELSE nickname END\"}")]
    public void An_identity_or_unneeded_up_or_down_is_accepted_without_a_word(string fields)
    {
        var problems = new List<Stepwise.Diagnostics.MigrationProblem>();
        var file = Stepwise.Operations.OperationFileReader.Read($"operations:\n  - alter_column: {fields}\n", "1_op.yaml", problems);
        Assert.Empty(problems);
        var alter = (Stepwise.Operations.AlterColumn)file!.Operations[0];
        Assert.Equal((null, null), (alter.Up, alter.Down));
    }

    [Fact]
    public void An_up_that_would_change_values_old_code_shares_is_ignored_with_a_warning()
    {
        var problems = new List<Stepwise.Diagnostics.MigrationProblem>();
        var file = Stepwise.Operations.OperationFileReader.Read("operations:\n  - alter_column: {table: users, column: nickname, comment: shown, up: upper(nickname)}\n", "1_op.yaml", problems);
        var warning = Assert.Single(problems);
        Assert.Equal(("ignored-field", Stepwise.Diagnostics.Severity.Warning), (warning.Code, warning.Severity));
        Assert.Contains("to change them, use a backfill operation", warning.Message);
        Assert.Null(((Stepwise.Operations.AlterColumn)file!.Operations[0]).Up);
    }
}
