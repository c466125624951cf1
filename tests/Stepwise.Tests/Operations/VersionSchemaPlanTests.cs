using Stepwise.Catalog;
using Stepwise.Diagnostics;
using Stepwise.Operations;
using static Stepwise.Tests.Operations.PlanTesting;

namespace Stepwise.Tests.Operations;

/// <summary>Renames, type changes and drops planned without a database: the version schema, its views, and what complete and rollback do.</summary>
public class VersionSchemaPlanTests
{
    private static Stepwise.Planning.Plan Plan(string yaml, SchemaModel? schema = null, IReadOnlyList<string>? existing = null)
    {
        var problems = new List<MigrationProblem>();
        var file = OperationFileReader.Read(yaml, "0004_change.yaml", problems);
        Assert.True(file is not null, string.Join("\n", problems));
        return PlanBuilder.PlanAll(file, schema ?? Schema, "0004_change", existing);
    }

    [Fact]
    public void Rename_column_shows_the_new_name_in_the_version_schema_and_renames_the_column_at_complete()
    {
        var plan = Plan("operations:\n  - rename_column: {table: users, from: nickname, to: handle}\n");

        AssertSteps("""
            Sql None tx | CREATE SCHEMA "public_0004_change"
            Sql None tx | COMMENT ON SCHEMA "public_0004_change" IS 'stepwise version schema of 0004_change'
            Sql AccessShare public.teams tx | CREATE VIEW "public_0004_change"."teams" WITH (security_invoker = true) AS SELECT "id", "name" FROM "public"."teams"
            Sql AccessShare public.users tx | CREATE VIEW "public_0004_change"."users" WITH (security_invoker = true) AS SELECT "id", "email", "team_id", "nickname" AS "handle", "score" FROM "public"."users"
            Sql AccessShare public.logs tx | CREATE VIEW "public_0004_change"."logs" WITH (security_invoker = true) AS SELECT "line" FROM "public"."logs"
            """, plan.Start);
        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" RENAME COLUMN "nickname" TO "handle"
            """, plan.Complete);
        AssertSteps("""
            Sql None tx | DROP SCHEMA IF EXISTS "public_0004_change" CASCADE
            """, plan.Rollback);
    }

    [Fact]
    public void Rename_table_names_the_view_and_renames_the_table_last_at_complete()
    {
        var plan = Plan("""
            operations:
              - rename_table: {from: users, to: members}
              - rename_column: {table: members, from: nickname, to: handle}
            """);

        Assert.Contains(plan.Start, s => s.Sql == "CREATE VIEW \"public_0004_change\".\"members\" WITH (security_invoker = true) AS SELECT \"id\", \"email\", \"team_id\", \"nickname\" AS \"handle\", \"score\" FROM \"public\".\"users\"");
        Assert.DoesNotContain(plan.Start, s => s.Sql?.Contains("\"public_0004_change\".\"users\"", StringComparison.Ordinal) == true);
        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" RENAME COLUMN "nickname" TO "handle"
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" RENAME TO "members"
            """, plan.Complete);
    }

    [Fact]
    public void Drops_hide_the_column_and_the_table_from_the_new_version_only()
    {
        var plan = Plan("""
            operations:
              - drop_column: {table: users, column: score}
              - drop_table: {name: logs}
            """);

        Assert.Contains(plan.Start, s => s.Sql == "CREATE VIEW \"public_0004_change\".\"users\" WITH (security_invoker = true) AS SELECT \"id\", \"email\", \"team_id\", \"nickname\" FROM \"public\".\"users\"");
        Assert.DoesNotContain(plan.Start, s => s.Sql?.Contains("\"logs\"", StringComparison.Ordinal) == true);
        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP COLUMN IF EXISTS "score"
            Sql AccessExclusive public.logs tx | DROP TABLE IF EXISTS "public"."logs"
            """, plan.Complete);
    }

    [Fact]
    public void Complete_drops_the_previous_version_schemas_before_anything_else()
    {
        var plan = Plan("operations:\n  - drop_column: {table: users, column: score}\n", existing: ["public_0003_before"]);

        Assert.Equal("DROP SCHEMA IF EXISTS \"public_0003_before\" CASCADE", plan.Complete[0].Sql);
        Assert.Equal("ALTER TABLE \"public\".\"users\" DROP COLUMN IF EXISTS \"score\"", plan.Complete[1].Sql);
        Assert.DoesNotContain(plan.Rollback, s => s.Sql?.Contains("public_0003_before", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void An_in_place_migration_gets_no_version_schema_but_its_complete_retires_the_previous_ones()
    {
        var plan = Plan("operations:\n  - alter_column: {table: users, column: nickname, comment: shown}\n", existing: ["public_0003_before"]);

        Assert.DoesNotContain(plan.Start, s => s.Sql?.Contains("SCHEMA", StringComparison.Ordinal) == true);
        Assert.Equal(["DROP SCHEMA IF EXISTS \"public_0003_before\" CASCADE"], plan.Complete.Select(s => s.Sql));
    }

    [Fact]
    public void Version_schema_of_the_file_names_the_schema_and_makes_one_even_without_a_rename()
    {
        var plan = Plan("version_schema: v2\noperations:\n  - alter_column: {table: users, column: nickname, comment: shown}\n");

        Assert.Contains(plan.Start, s => s.Sql == "CREATE SCHEMA \"v2\"");
        Assert.Contains(plan.Start, s => s.Sql == "COMMENT ON COLUMN \"v2\".\"users\".\"nickname\" IS 'shown'" || s.Sql!.StartsWith("CREATE VIEW \"v2\".\"users\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Alter_column_type_copies_the_column_syncs_both_by_version_and_swaps_at_complete()
    {
        var plan = Plan("operations:\n  - alter_column: {table: users, column: team_id, type: integer}\n");

        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ADD COLUMN "_stepwise_new_team_id" integer
            Sql None tx | CREATE OR REPLACE FUNCTION "public"."_stepwise_sync_users_team_id"() RETURNS trigger LANGUAGE plpgsql AS $stepwise$ …
            Sql ShareRowExclusive public.users tx | CREATE TRIGGER "_stepwise_sync_users_team_id" BEFORE INSERT OR UPDATE ON "public"."users" FOR EACH ROW WHEN (pg_trigger_depth() > 0 OR current_setting('stepwise.backfilling', true) IS DISTINCT FROM 'public.users') EXECUTE FUNCTION "public"."_stepwise_sync_users_team_id"()
            Backfill RowExclusive public.users tx | public.users SET _stepwise_new_team_id = CAST("team_id" AS integer) WHERE "_stepwise_new_team_id" IS NULL BY (id)
            Sql ShareUpdateExclusive public.users no tx | CREATE INDEX CONCURRENTLY "_stepwise_ix_users_team_idx" ON public.users USING btree ("_stepwise_new_team_id")
            Sql None tx | CREATE SCHEMA "public_0004_change"
            Sql None tx | COMMENT ON SCHEMA "public_0004_change" IS 'stepwise version schema of 0004_change'
            Sql AccessShare public.teams tx | CREATE VIEW "public_0004_change"."teams" WITH (security_invoker = true) AS SELECT "id", "name" FROM "public"."teams"
            Sql AccessShare public.users tx | CREATE VIEW "public_0004_change"."users" WITH (security_invoker = true) AS SELECT "id", "email", "_stepwise_new_team_id" AS "team_id", "nickname", "score" FROM "public"."users"
            Sql AccessShare public.logs tx | CREATE VIEW "public_0004_change"."logs" WITH (security_invoker = true) AS SELECT "line" FROM "public"."logs"
            """, plan.Start);
        var function = plan.Start[1].Sql!;
        Assert.Contains("IF 'public_0004_change' = ANY (current_schemas(false)) THEN", function, StringComparison.Ordinal);
        Assert.Contains("\"team_id\" integer := NEW.\"_stepwise_new_team_id\";", function, StringComparison.Ordinal);
        Assert.Contains("NEW.\"team_id\" := (CAST(\"team_id\" AS bigint));", function, StringComparison.Ordinal);
        Assert.Contains("NEW.\"_stepwise_new_team_id\" := (CAST(\"team_id\" AS integer));", function, StringComparison.Ordinal);
        AssertSteps("""
            Sql AccessExclusive public.users tx | DROP TRIGGER IF EXISTS "_stepwise_sync_users_team_id" ON "public"."users"
            Sql None tx | DROP FUNCTION IF EXISTS "public"."_stepwise_sync_users_team_id"()
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP COLUMN IF EXISTS "team_id"
            Sql ShareUpdateExclusive public._stepwise_ix_users_team_idx tx | ALTER INDEX "public"."_stepwise_ix_users_team_idx" RENAME TO "users_team_idx"
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" RENAME COLUMN "_stepwise_new_team_id" TO "team_id"
            """, plan.Complete);
        AssertSteps("""
            Sql None tx | DROP SCHEMA IF EXISTS "public_0004_change" CASCADE
            Sql ShareUpdateExclusive public._stepwise_ix_users_team_idx no tx | DROP INDEX CONCURRENTLY IF EXISTS "public"."_stepwise_ix_users_team_idx"
            Sql AccessExclusive public.users tx | DROP TRIGGER IF EXISTS "_stepwise_sync_users_team_id" ON "public"."users"
            Sql None tx | DROP FUNCTION IF EXISTS "public"."_stepwise_sync_users_team_id"()
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP COLUMN IF EXISTS "_stepwise_new_team_id"
            """, plan.Rollback);
    }

    [Fact]
    public void A_type_change_carries_not_null_and_takes_up_down_and_a_new_name()
    {
        var plan = Plan("""
            operations:
              - alter_column: {table: users, column: nickname, type: varchar(40), name: handle, nullable: false, up: "coalesce(left(nickname, 40), '')", down: "handle::text"}
            """);

        Assert.Contains(plan.Start, s => s.Sql == "ALTER TABLE \"public\".\"users\" ADD CONSTRAINT \"_stepwise_nn_users__stepwise_new_nickname\" CHECK (\"_stepwise_new_nickname\" IS NOT NULL) NOT VALID");
        Assert.Contains(plan.Start, s => s.Backfill?.Set is [{ Column: "_stepwise_new_nickname", Expression: "coalesce(left(nickname, 40), '')" }]);
        Assert.Contains(plan.Start, s => s.Sql?.Contains("SELECT \"id\", \"email\", \"team_id\", \"_stepwise_new_nickname\" AS \"handle\", \"score\" FROM", StringComparison.Ordinal) == true);
        Assert.Contains("NEW.\"nickname\" := (handle::text);", plan.Start.First(s => s.Sql?.StartsWith("CREATE OR REPLACE FUNCTION", StringComparison.Ordinal) == true).Sql, StringComparison.Ordinal);
        Assert.Equal([
            "ALTER TABLE \"public\".\"users\" ALTER COLUMN \"_stepwise_new_nickname\" SET NOT NULL",
            "ALTER TABLE \"public\".\"users\" DROP CONSTRAINT IF EXISTS \"_stepwise_nn_users__stepwise_new_nickname\"",
            "DROP TRIGGER IF EXISTS \"_stepwise_sync_users_nickname\" ON \"public\".\"users\"",
            "DROP FUNCTION IF EXISTS \"public\".\"_stepwise_sync_users_nickname\"()",
            "ALTER TABLE \"public\".\"users\" DROP COLUMN IF EXISTS \"nickname\"",
            "ALTER TABLE \"public\".\"users\" RENAME COLUMN \"_stepwise_new_nickname\" TO \"handle\"",
        ], plan.Complete.Select(s => s.Sql));
    }

    [Fact]
    public void A_type_change_and_rename_of_a_column_a_check_names_is_refused() =>
        Assert.Contains("a check constraint names it", Assert.Throws<PlanningException>(() => Plan("operations:\n  - alter_column: {table: users, column: score, type: bigint, name: points}\n")).Message,
            StringComparison.Ordinal);

    [Fact]
    public void A_type_change_adds_the_old_check_back_after_the_swap()
    {
        var plan = Plan("operations:\n  - alter_column: {table: users, column: score, type: bigint}\n");

        Assert.Equal([
            "ALTER TABLE \"public\".\"users\" RENAME COLUMN \"_stepwise_new_score\" TO \"score\"",
            "ALTER TABLE \"public\".\"users\" ADD CONSTRAINT \"users_score_check\" CHECK ((score >= 0)) NOT VALID",
            "ALTER TABLE \"public\".\"users\" VALIDATE CONSTRAINT \"users_score_check\"",
        ], plan.Complete.Skip(plan.Complete.Count - 3).Select(s => s.Sql));
    }

    [Fact]
    public void A_type_change_carries_a_foreign_key_of_the_column()
    {
        var schema = Schema with
        {
            Tables = [.. Schema.Tables.Select(t => t.Name != "users" ? t : t with
            {
                Constraints = [.. t.Constraints, new ConstraintModel("users_team_id_fkey", "foreign key", "FOREIGN KEY (team_id) REFERENCES teams(id) ON DELETE CASCADE", true, false, false, Columns: ["team_id"])],
            })],
        };
        var plan = Plan("operations:\n  - alter_column: {table: users, column: team_id, type: integer}\n", schema);

        Assert.Contains(plan.Start, s => s.Sql == "ALTER TABLE \"public\".\"users\" ADD CONSTRAINT \"_stepwise_fk_users__stepwise_new_team_id\" FOREIGN KEY (\"_stepwise_new_team_id\") REFERENCES teams(id) ON DELETE CASCADE NOT VALID");
        Assert.Contains(plan.Start, s => s.Sql == "ALTER TABLE \"public\".\"users\" VALIDATE CONSTRAINT \"_stepwise_fk_users__stepwise_new_team_id\"");
        Assert.Contains(plan.Complete, s => s.Sql == "ALTER TABLE \"public\".\"users\" RENAME CONSTRAINT \"_stepwise_fk_users__stepwise_new_team_id\" TO \"users_team_id_fkey\"");
    }

    [Fact]
    public void A_type_change_of_a_primary_key_column_is_refused_before_anything_runs()
    {
        var error = Assert.Throws<PlanningException>(() => Plan("operations:\n  - alter_column: {table: teams, column: id, type: integer}\n"));

        Assert.Contains("alter_column cannot change the type of public.teams.id: it is part of the primary key", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.Hint);
    }

    [Fact]
    public void A_type_change_of_a_referenced_column_is_refused_naming_the_foreign_keys()
    {
        var schema = Schema with
        {
            Tables =
            [
                Table("teams", ["id bigint not null", "code text not null"], PrimaryKey("teams_pkey", "id")),
                Table("logs", ["line text"], new ConstraintModel("logs_code_fkey", "foreign key", "FOREIGN KEY (line) REFERENCES teams(code)", true, false, false, Columns: ["line"])),
            ],
            Indexes = [],
        };
        var error = Assert.Throws<PlanningException>(() => Plan("operations:\n  - alter_column: {table: teams, column: code, type: varchar(20)}\n", schema));

        Assert.Contains("foreign keys reference it (public.logs.logs_code_fkey)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_type_change_of_a_column_a_view_uses_is_refused_naming_the_view()
    {
        var schema = Schema with { Dependencies = [new ObjectDependency("view public.active_users", "table public.users")] };

        var error = Assert.Throws<PlanningException>(() => Plan("operations:\n  - alter_column: {table: users, column: email, type: varchar(200)}\n", schema));

        Assert.Contains("view public.active_users uses it", error.Message, StringComparison.Ordinal);
        Plan("operations:\n  - alter_column: {table: users, column: nickname, type: varchar(200)}\n", schema); // a column the view does not use
    }

    [Fact]
    public void Renames_in_two_schemas_are_refused()
    {
        var schema = Schema with { Tables = [.. Schema.Tables, Table("logs", ["line text"]) with { Schema = "audit" }] };

        var error = Assert.Throws<PlanningException>(() => Plan("""
            operations:
              - rename_column: {table: users, from: nickname, to: handle}
              - rename_column: {table: audit.logs, from: line, to: text}
            """, schema));

        Assert.Contains("several schemas (public, audit)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Renaming_to_a_name_in_use_is_refused()
    {
        Assert.Contains("public.teams already exists", Assert.Throws<PlanningException>(() => Plan("operations:\n  - rename_table: {from: users, to: teams}\n")).Message, StringComparison.Ordinal);
        Assert.Contains("public.users.email already exists", Assert.Throws<PlanningException>(() => Plan("operations:\n  - rename_column: {table: users, from: nickname, to: email}\n")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0004_rename", null, "public", "public_0004_rename")]
    [InlineData("0004_rename", "v4", "public", "v4")]
    [InlineData("0004_rename", null, "billing", "billing_0004_rename")]
    public void The_version_schema_is_pgrolls_schema_and_migration_name_unless_the_file_names_one(string migration, string? versionSchema, string schema, string expected) =>
        Assert.Equal(expected, VersionSchemas.Name(migration, versionSchema, schema));

    [Fact]
    public void A_long_version_schema_name_is_cut_to_63_bytes_with_a_hash()
    {
        var name = VersionSchemas.Name("20261207000000_" + new string('x', 80));

        Assert.Equal(63, name.Length);
        Assert.StartsWith("public_20261207000000_xxx", name, StringComparison.Ordinal);
        Assert.NotEqual(name, VersionSchemas.Name("20261207000000_" + new string('x', 81)));
    }
}
