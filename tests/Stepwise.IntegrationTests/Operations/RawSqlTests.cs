namespace Stepwise.IntegrationTests.Operations;

/// <summary><c>sql</c> through start, rollback and complete.</summary>
[Collection(OperationsCollection.Name)]
public class RawSqlTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Up_runs_at_start_down_on_rollback_complete_and_on_complete_at_complete()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - sql: { up: "CREATE TABLE audit (at timestamptz); CREATE INDEX CONCURRENTLY audit_at ON audit (at)", down: "DROP TABLE audit", complete: "COMMENT ON TABLE audit IS 'done'" }
              - sql: { up: "CREATE TABLE later (id int)", onComplete: true }
            """);

        await op.HoldsAsync("SELECT to_regclass('audit_at') IS NOT NULL AND to_regclass('later') IS NULL AND obj_description('audit'::regclass) IS NULL");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT obj_description('audit'::regclass) = 'done' AND to_regclass('later') IS NOT NULL");
    }
}
