using static Stepwise.Tests.Operations.PlanTesting;

namespace Stepwise.Tests.Operations;

/// <summary><c>create_constraint</c> planned without a database.</summary>
public class CreateConstraintPlanTests
{
    [Fact]
    public void Check_foreign_key_unique_and_primary_key_are_added_without_a_long_lock()
    {
        var plan = Plan("""
            operations:
              - create_constraint: {table: users, name: email_at, type: check, check: "email LIKE '%@%'", columns: [email], up: {email: "email || '@'"}}
              - create_constraint: {table: users, name: users_team_fk, type: foreign_key, columns: [team_id], references: {table: teams, columns: [id], on_delete: SET NULL}}
              - create_constraint: {table: teams, name: teams_name_key, type: unique, columns: [name]}
              - create_constraint: {table: logs, name: logs_pkey, type: primary_key, columns: [line]}
            """);

        AssertSteps("""
            Backfill RowExclusive public.users tx | public.users SET email = email || '@' WHERE NOT (email LIKE '%@%') BY (id)
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ADD CONSTRAINT "email_at" CHECK (email LIKE '%@%') NOT VALID
            Sql ShareUpdateExclusive public.users tx | ALTER TABLE "public"."users" VALIDATE CONSTRAINT "email_at"
            Sql ShareRowExclusive public.users tx | ALTER TABLE "public"."users" ADD CONSTRAINT "users_team_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams" ("id") ON DELETE SET NULL NOT VALID
            Sql ShareUpdateExclusive public.users tx | ALTER TABLE "public"."users" VALIDATE CONSTRAINT "users_team_fk"
            Sql ShareUpdateExclusive public.teams no tx | CREATE UNIQUE INDEX CONCURRENTLY "teams_name_key" ON "public"."teams" ("name")
            Sql AccessExclusive public.teams tx | ALTER TABLE "public"."teams" ADD CONSTRAINT "teams_name_key" UNIQUE USING INDEX "teams_name_key"
            Sql ShareUpdateExclusive public.logs no tx | CREATE UNIQUE INDEX CONCURRENTLY "logs_pkey" ON "public"."logs" ("line")
            Sql AccessExclusive public.logs tx | ALTER TABLE "public"."logs" ADD CONSTRAINT "logs_pkey" PRIMARY KEY USING INDEX "logs_pkey"
            """, plan.Start);
        Assert.Empty(plan.Complete);
        AssertSteps("""
            Sql AccessExclusive public.logs tx | ALTER TABLE "public"."logs" DROP CONSTRAINT IF EXISTS "logs_pkey"
            Sql ShareUpdateExclusive public.logs_pkey no tx | DROP INDEX CONCURRENTLY IF EXISTS "public"."logs_pkey"
            Sql AccessExclusive public.logs tx | ALTER TABLE "public"."logs" ALTER COLUMN "line" DROP NOT NULL
            Sql AccessExclusive public.teams tx | ALTER TABLE "public"."teams" DROP CONSTRAINT IF EXISTS "teams_name_key"
            Sql ShareUpdateExclusive public.teams_name_key no tx | DROP INDEX CONCURRENTLY IF EXISTS "public"."teams_name_key"
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "users_team_fk"
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "email_at"
            """, plan.Rollback);
    }

    [Fact]
    public void An_existing_constraint_name_is_refused() =>
        Assert.Contains("constraint users_score_check already exists on public.users",
            Refused("operations:\n  - create_constraint: {table: users, name: users_score_check, type: check, check: score > 1, columns: [score]}\n").Message);
}
