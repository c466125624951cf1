namespace Stepwise.IntegrationTests.Operations;

/// <summary><c>backfill</c> through start, rollback and complete.</summary>
[Collection(OperationsCollection.Name)]
public class BackfillTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Rows_are_updated_in_batches_at_start_and_rollback_leaves_data_as_it_is()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - backfill: { table: users, set: { score: id % 7, nickname: upper(email) }, where: "id <= 100" }
            """);

        await op.HoldsAsync("SELECT count(*) = 100 FROM users WHERE score = id % 7 AND nickname = upper(email)");
        await op.HoldsAsync("SELECT count(*) = 2900 FROM users WHERE nickname IS NULL");

        await op.RollbackAsync();
        await op.HoldsAsync("SELECT count(*) = 100 FROM users WHERE nickname = upper(email)");
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT count(*) = 100 FROM users WHERE score = id % 7 AND nickname = upper(email)");
    }
}
