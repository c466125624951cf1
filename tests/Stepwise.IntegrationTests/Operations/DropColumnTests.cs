namespace Stepwise.IntegrationTests.Operations;

/// <summary><c>drop_column</c> through start, rollback and complete.</summary>
[Collection(OperationsCollection.Name)]
public class DropColumnTests(PostgresFixture fixture)
{
    [Fact]
    public async Task The_column_stays_until_complete_and_down_fills_it_for_rows_new_code_writes()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - drop_column: { table: users, column: nickname, down: "split_part(email, '@', 1)" }
            """);

        await op.ExecuteAsync("INSERT INTO users (id, email) VALUES (5001, 'new@example.com')");
        await op.HoldsAsync("SELECT nickname = 'new' FROM users WHERE id = 5001");

        await op.RollbackAsync();
        await op.ExecuteAsync("INSERT INTO users (id, email) VALUES (5002, 'after@example.com')");
        await op.HoldsAsync("SELECT nickname IS NULL FROM users WHERE id = 5002");
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'nickname' AND NOT attisdropped)");
    }
}
