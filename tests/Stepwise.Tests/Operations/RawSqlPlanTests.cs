using Stepwise.Operations;
using static Stepwise.Tests.Operations.PlanTesting;

namespace Stepwise.Tests.Operations;

/// <summary><c>sql</c> planned without a database.</summary>
public class RawSqlPlanTests
{
    [Fact]
    public void Statements_run_one_step_each_with_their_own_lock_and_transaction_mode()
    {
        var plan = Plan("""
            operations:
              - sql: {up: "CREATE TABLE audit (at timestamptz); CREATE INDEX CONCURRENTLY audit_at ON audit (at)", down: "DROP INDEX CONCURRENTLY audit_at; DROP TABLE audit", complete: "ANALYZE audit"}
              - sql: {up: VACUUM users, onComplete: true}
            """);

        AssertSteps("""
            Sql None tx | CREATE TABLE audit (at timestamptz)
            Sql ShareUpdateExclusive public.audit no tx | CREATE INDEX CONCURRENTLY audit_at ON audit (at)
            """, plan.Start);
        AssertSteps("""
            Sql ShareUpdateExclusive public.audit tx | ANALYZE audit
            Sql ShareUpdateExclusive public.users no tx | VACUUM users
            """, plan.Complete);
        AssertSteps("""
            Sql ShareUpdateExclusive public.audit_at no tx | DROP INDEX CONCURRENTLY audit_at
            Sql AccessExclusive public.audit tx | DROP TABLE audit
            """, plan.Rollback);
    }

    [Fact]
    public void Without_down_statements_that_only_create_objects_are_undone_by_dropping_them_newest_first()
    {
        var plan = Plan("""
            operations:
              - sql: {up: "CREATE TYPE size AS ENUM ('s', 'm'); CREATE TABLE app.boxes (id int); CREATE INDEX boxes_id ON app.boxes (id); CREATE VIEW v AS SELECT 1; CREATE DOMAIN pos AS int CHECK (VALUE > 0); CREATE SEQUENCE s; CREATE MATERIALIZED VIEW mv AS SELECT 1; CREATE SCHEMA extra"}
            """);

        Assert.Equal([
            "DROP SCHEMA \"extra\"", "DROP MATERIALIZED VIEW \"mv\"", "DROP SEQUENCE \"s\"", "DROP DOMAIN \"pos\"", "DROP VIEW \"v\"",
            "DROP INDEX \"app\".\"boxes_id\"", "DROP TABLE \"app\".\"boxes\"", "DROP TYPE \"size\"",
        ], plan.Rollback.Select(s => s.Sql));
    }

    [Theory]
    [InlineData("CREATE TABLE IF NOT EXISTS t (id int)")]
    [InlineData("CREATE OR REPLACE VIEW v AS SELECT 1")]
    [InlineData("CREATE TABLE t (id int); INSERT INTO t VALUES (1)")]
    [InlineData("ALTER TABLE users ADD COLUMN c int")]
    public void Without_down_anything_else_is_not_undone_and_the_file_says_so(string up)
    {
        var problems = new List<Stepwise.Diagnostics.MigrationProblem>();
        var file = Stepwise.Operations.OperationFileReader.Read($"operations:\n  - sql: {{up: \"{up}\"}}\n", "1_op.yaml", problems);
        var warning = Assert.Single(problems);
        Assert.Equal(("no-down", Stepwise.Diagnostics.Severity.Warning, 2), (warning.Code, warning.Severity, warning.Line));
        Assert.Empty(PlanBuilder.PlanAll(file!, Schema).Rollback);
    }
}
