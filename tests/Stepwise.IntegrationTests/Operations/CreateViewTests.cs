namespace Stepwise.IntegrationTests.Operations;

/// <summary><c>create_view</c> and <c>replace_view</c> through start, rollback and complete.</summary>
[Collection(OperationsCollection.Name)]
public class CreateViewTests(PostgresFixture fixture)
{
    [Fact]
    public async Task A_replaced_view_has_its_new_shape_from_start_and_rollback_restores_the_old_one_with_its_comment()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - replace_view: { name: active_users, definition: "SELECT id, email, team_id FROM users" }
              - create_view: { name: team_sizes, definition: "SELECT team_id, count(*) AS n FROM users GROUP BY team_id" }
            """);

        await op.HoldsAsync("SELECT count(*) = 3000 FROM active_users WHERE team_id IS NOT NULL");
        await op.HoldsAsync("SELECT sum(n) = 3000 FROM team_sizes");

        await op.RollbackAsync();
        await op.HoldsAsync("SELECT obj_description('active_users'::regclass) = 'who is here' AND to_regclass('team_sizes') IS NULL");
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT count(*) = 3 FROM information_schema.columns WHERE table_name = 'active_users'");
    }
}
