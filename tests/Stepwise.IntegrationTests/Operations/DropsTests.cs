namespace Stepwise.IntegrationTests.Operations;

/// <summary><c>drop_index</c>, <c>drop_constraint</c> and <c>drop_table</c>: nothing changes at start (old code still uses them), they go at complete.</summary>
[Collection(OperationsCollection.Name)]
public class DropsTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Drop_index_drops_it_concurrently_at_complete()
    {
        await using var op = await OperationPhases.StartAsync(fixture, "operations:\n  - drop_index: { name: users_team_idx }\n");

        await op.HoldsAsync("SELECT to_regclass('users_team_idx') IS NOT NULL");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT to_regclass('users_team_idx') IS NULL");
    }

    [Fact]
    public async Task Drop_constraint_keeps_enforcing_it_until_complete()
    {
        await using var op = await OperationPhases.StartAsync(fixture, "operations:\n  - drop_multicolumn_constraint: { table: users, name: users_score_check }\n");

        await op.RefusedAsync("UPDATE users SET score = -1 WHERE id = 1", "23514");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.ExecuteAsync("UPDATE users SET score = -1 WHERE id = 1");
    }

    [Fact]
    public async Task Drop_table_keeps_the_table_readable_and_writable_until_complete()
    {
        await using var op = await OperationPhases.StartAsync(fixture, "operations:\n  - drop_table: { name: legacy }\n");

        await op.ExecuteAsync("INSERT INTO legacy VALUES (1)");

        await op.RollbackAsync();
        await op.HoldsAsync("SELECT count(*) = 1 FROM legacy");
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT to_regclass('legacy') IS NULL");
    }
}
