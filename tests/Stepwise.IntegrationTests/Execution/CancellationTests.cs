using System.Diagnostics;
using Stepwise.Execution;

namespace Stepwise.IntegrationTests.Execution;

public class CancellationTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Cancelling_stops_the_running_statement_on_the_server_and_leaves_history_truthful()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);\nSELECT pg_sleep(30);\n").WriteSum();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(700));
        var watch = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ws.Migrator().ApplyAsync(new ApplyRequest(), cancel.Token));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"cancel took {watch.Elapsed}");
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%'"));
        Assert.Null(await ws.ScalarAsync<string>("SELECT to_regclass('a')::text"));
        Assert.Equal(MigrationState.Pending, (await ws.Migrator().StatusAsync()).Entries[0].State);
    }

    [Fact]
    public async Task Cancelling_a_statement_by_statement_migration_keeps_the_statements_that_finished()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:no-transaction\n-- stepwise:up\nCREATE TABLE a (id int);\nSELECT pg_sleep(30);\nCREATE TABLE b (id int);\n").WriteSum();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(700));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ws.Migrator().ApplyAsync(new ApplyRequest(), cancel.Token));
        var entry = (await ws.Migrator().StatusAsync()).Entries[0];

        Assert.Equal((MigrationState.Partial, 1), (entry.State, entry.History!.StatementsCompleted));
        Assert.NotNull(await ws.ScalarAsync<string>("SELECT to_regclass('a')::text"));
    }
}
