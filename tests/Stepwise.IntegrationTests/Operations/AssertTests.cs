using Stepwise.Execution;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Operations;

/// <summary><c>assert</c> through start, rollback and complete.</summary>
[Collection(OperationsCollection.Name)]
public class AssertTests(PostgresFixture fixture)
{
    [Fact]
    public async Task A_query_returning_no_rows_lets_start_and_complete_go_on()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - backfill: { table: users, set: { score: id % 7 }, where: "id <= 100" }
              - assert: { name: scores_set, sql: "SELECT 1 FROM users WHERE id <= 100 AND score <> id % 7" }
            """);

        await op.RollbackAsync();
        await op.CompleteAsync();
    }

    [Fact]
    public async Task A_failing_assert_stops_the_start_and_says_which_and_where()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_base.sql", OperationPhases.Base).Write("2_op.yaml", """
            operations:
              - assert: { name: no_users, sql: "SELECT id FROM users" }
            """).WriteSum();
        await ws.Migrator().ApplyAsync(new ApplyRequest { ToVersion = 1 });

        var error = await Assert.ThrowsAsync<MigrationFailedException>(() => ws.Migrator().ApplyAsync(new ApplyRequest()));

        Assert.Contains("assert no_users", error.Message);
        Assert.Equal(2, error.Line);
        Assert.Equal(MigrationState.InProgress, (await ws.Migrator().StatusAsync()).Entries.Single(e => e.Version == 2).State);
    }

    [Fact]
    public async Task A_failing_assert_shows_a_value_of_any_type_as_postgres_prints_it()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_base.sql", OperationPhases.Base).Write("2_op.yaml", """
            operations:
              - assert: { name: odd_types, sql: "SELECT inet '10.1.2.3/8' AS addr, to_tsvector('simple', 'two words') AS doc, int4range(1, 5) AS span" }
            """).WriteSum();
        await ws.Migrator().ApplyAsync(new ApplyRequest { ToVersion = 1 });

        var error = await Assert.ThrowsAsync<MigrationFailedException>(() => ws.Migrator().ApplyAsync(new ApplyRequest()));

        Assert.Contains("(first: 10.1.2.3/8)", error.Message);
    }
}
