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
}
