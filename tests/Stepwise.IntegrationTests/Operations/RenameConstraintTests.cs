namespace Stepwise.IntegrationTests.Operations;

/// <summary><c>rename_constraint</c> through start, rollback and complete.</summary>
[Collection(OperationsCollection.Name)]
public class RenameConstraintTests(PostgresFixture fixture)
{
    [Fact]
    public async Task The_constraint_is_renamed_at_start_and_back_on_rollback()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - rename_constraint: { table: users, from: users_score_check, to: users_score_positive }
            """);

        await op.HoldsAsync("SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'users_score_positive') AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'users_score_check')");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'users_score_positive')");
    }
}
