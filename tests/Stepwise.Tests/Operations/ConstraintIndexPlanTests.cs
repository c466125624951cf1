using Stepwise.Diagnostics;
using Stepwise.Operations;
using static Stepwise.Tests.Operations.PlanTesting;

namespace Stepwise.Tests.Operations;

/// <summary>Exclusion constraints and a constraint's <c>index_parameters</c>, in <c>create_table</c> and <c>create_constraint</c>, planned without a database.</summary>
public class ConstraintIndexPlanTests
{
    [Fact]
    public void Create_table_writes_exclusion_constraints_and_index_parameters_into_the_table_statement()
    {
        var plan = Plan("""
            operations:
              - create_table:
                  name: library
                  columns:
                    - {name: id, type: serial}
                    - {name: title, type: text}
                    - {name: phone, type: text}
                    - {name: shelf, type: text}
                  constraints:
                    - {name: library_pk, type: primary_key, columns: [id], index_parameters: {tablespace: pg_default, storage_parameters: fillfactor=80}}
                    - {name: unique_phone, type: unique, columns: [phone], index_parameters: {include_columns: [title, shelf]}}
                    - {name: one_title, type: exclude, exclude: {index_method: btree, elements: title WITH =, predicate: title IS NOT NULL}}
                    - {name: one_shelf, type: exclude, deferrable: true, exclude: {elements: "shelf WITH =, lower(title) WITH ="}, index_parameters: {include_columns: [id]}}
            """);

        Assert.Equal("""
            CREATE TABLE "public"."library" (
                "id" serial NOT NULL,
                "title" text NOT NULL,
                "phone" text NOT NULL,
                "shelf" text NOT NULL,
                CONSTRAINT "library_pk" PRIMARY KEY ("id") WITH (fillfactor=80) USING INDEX TABLESPACE "pg_default",
                CONSTRAINT "unique_phone" UNIQUE ("phone") INCLUDE ("title", "shelf"),
                CONSTRAINT "one_title" EXCLUDE USING btree (title WITH =) WHERE (title IS NOT NULL),
                CONSTRAINT "one_shelf" EXCLUDE USING btree (shelf WITH =, lower(title) WITH =) INCLUDE ("id") DEFERRABLE
            )
            """, plan.Start[0].Sql);
    }

    [Fact]
    public void Create_constraint_builds_a_unique_index_with_its_parameters_concurrently_and_adds_an_exclusion_constraint_under_its_lock()
    {
        var plan = Plan("""
            operations:
              - create_constraint: {table: users, name: users_email_key, type: unique, columns: [email], index_parameters: {include_columns: [nickname], storage_parameters: fillfactor=70, tablespace: pg_default}}
              - create_constraint: {table: users, name: users_one_nickname, type: exclude, exclude: {index_method: gist, elements: nickname WITH =, predicate: score > 0}}
            """);

        AssertSteps("""
            Sql ShareUpdateExclusive public.users no tx | CREATE UNIQUE INDEX CONCURRENTLY "users_email_key" ON "public"."users" ("email") INCLUDE ("nickname") WITH (fillfactor=70) TABLESPACE "pg_default"
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ADD CONSTRAINT "users_email_key" UNIQUE USING INDEX "users_email_key"
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" ADD CONSTRAINT "users_one_nickname" EXCLUDE USING gist (nickname WITH =) WHERE (score > 0)
            """, plan.Start);
        AssertSteps("""
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "users_one_nickname"
            Sql AccessExclusive public.users tx | ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "users_email_key"
            Sql ShareUpdateExclusive public.users_email_key no tx | DROP INDEX CONCURRENTLY IF EXISTS "public"."users_email_key"
            """, plan.Rollback);
    }

    [Theory]
    [InlineData("create_table", "{name: t, columns: [{name: a, type: int}], constraints: [{name: k, type: unique, columns: [a], index_parameters: {include_columns: [b]}}]}", "names b, which is not a column of public.t")]
    [InlineData("create_constraint", "{table: users, name: k, type: unique, columns: [email], index_parameters: {include_columns: [nope]}}", "names nope, which is not a column of public.users")]
    public void An_include_column_that_does_not_exist_is_refused(string operation, string fields, string message) =>
        Assert.Contains(message, Refused($"operations:\n  - {operation}: {fields}\n").Message);

    [Theory]
    [InlineData("{elements: title WITH =) WHERE (true}", "sql-syntax-error", "must be the elements of an exclusion constraint and nothing more")]
    [InlineData("{elements: \"title WITH =) INCLUDE (id\"}", "sql-syntax-error", "must be the elements of an exclusion constraint and nothing more")]
    [InlineData("{elements: title WITH}", "sql-syntax-error", "syntax error")]
    [InlineData("{index_method: gin, elements: title WITH =}", "wrong-value", "must be one of btree, hash, gist, spgist")]
    [InlineData("{index_method: btree}", "missing-field", "needs the field 'elements'")]
    public void Malformed_exclusion_elements_are_reported_where_they_are_written(string exclude, string code, string message)
    {
        var problems = new List<MigrationProblem>();
        Assert.Null(OperationFileReader.Read($"operations:\n  - create_table: {{name: t, columns: [{{name: title, type: text}}], constraints: [{{name: x, type: exclude, exclude: {exclude}}}]}}\n", "1_op.yaml", problems));
        var problem = Assert.Single(problems);
        Assert.Equal((code, 2), (problem.Code, problem.Line));
        Assert.Contains(message, problem.ToString());
    }

    [Theory]
    [InlineData("{name: x, type: check, check: a > 0, exclude: {elements: a WITH =}}", "describes an exclusion constraint, but type is check")]
    [InlineData("{name: x, type: foreign_key, columns: [a], references: {table: t, columns: [a]}, index_parameters: {tablespace: ts}}", "are for unique, primary_key and exclude constraints, not foreign_key")]
    [InlineData("{name: x, type: exclude}", "needs the field 'exclude'")]
    public void Fields_that_do_not_fit_the_constraint_type_are_errors(string constraint, string message)
    {
        var problems = new List<MigrationProblem>();
        Assert.Null(OperationFileReader.Read($"operations:\n  - create_table: {{name: t, columns: [{{name: a, type: int}}], constraints: [{constraint}]}}\n", "1_op.yaml", problems));
        Assert.Contains(message, Assert.Single(problems).ToString());
    }

    [Fact]
    public void Pgrolls_empty_index_parameters_and_predicate_mean_none()
    {
        var plan = Plan("""
            operations:
              - create_table:
                  name: t
                  columns: [{name: a, type: int}]
                  constraints:
                    - {name: k, type: unique, columns: [a], index_parameters: {tablespace: "", storage_parameters: "", include_columns: []}}
                    - {name: x, type: exclude, exclude: {index_method: "", elements: a WITH =, predicate: ""}}
            """);

        Assert.Contains("""CONSTRAINT "k" UNIQUE ("a"),""", plan.Start[0].Sql);
        Assert.Contains("""CONSTRAINT "x" EXCLUDE USING btree (a WITH =)""" + "\n", plan.Start[0].Sql);
    }
}
