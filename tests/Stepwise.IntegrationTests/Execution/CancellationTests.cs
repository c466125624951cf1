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
        using var cancel = new CancellationTokenSource();
        var apply = ws.Migrator().ApplyAsync(new ApplyRequest(), cancel.Token);
        await CancelWhenSleepingAsync(ws, cancel);
        var watch = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => apply);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"cancel took {watch.Elapsed}");
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%' AND datname = current_database()"));
        Assert.Null(await ws.ScalarAsync<string>("SELECT to_regclass('a')::text"));
        Assert.Equal(MigrationState.Pending, (await ws.Migrator().StatusAsync()).Entries[0].State);
    }

    [Fact]
    public async Task Cancelling_a_statement_by_statement_migration_keeps_the_statements_that_finished()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:no-transaction\n-- stepwise:up\nCREATE TABLE a (id int);\nSELECT pg_sleep(30);\nCREATE TABLE b (id int);\n").WriteSum();
        using var cancel = new CancellationTokenSource();
        var apply = ws.Migrator().ApplyAsync(new ApplyRequest(), cancel.Token);
        await CancelWhenSleepingAsync(ws, cancel);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => apply);
        var entry = (await ws.Migrator().StatusAsync()).Entries[0];

        Assert.Equal((MigrationState.Partial, 1), (entry.State, entry.History!.StatementsCompleted));
        Assert.NotNull(await ws.ScalarAsync<string>("SELECT to_regclass('a')::text"));
    }

    /// <summary>
    /// Cancels once the migration's pg_sleep is running on the server (a timer fired before the first statement on a busy
    /// machine, and history then had nothing to show).
    /// </summary>
    private static async Task CancelWhenSleepingAsync(MigrationWorkspace ws, CancellationTokenSource cancel)
    {
        var waited = Stopwatch.StartNew();
        while (await ws.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%' AND state = 'active' AND datname = current_database()") == 0)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the migration's pg_sleep never started");
            await Task.Delay(20);
        }
        await cancel.CancelAsync();
    }
}

public class ResumeTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task A_concurrent_drop_that_finished_before_the_interruption_is_not_run_again()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("CREATE TABLE t (a int); CREATE INDEX t_a ON t (a)");
        ws.Write("1_drop.sql", "-- stepwise:up\nDROP INDEX CONCURRENTLY t_a;\nINSERT INTO missing VALUES (1);\n").WriteSum();
        var migrator = ws.Migrator();
        await Assert.ThrowsAsync<MigrationFailedException>(() => migrator.ApplyAsync(new ApplyRequest()));
        // As if the process died after the drop but before its progress was recorded.
        await ws.ExecuteAsync("UPDATE stepwise.migrations SET statements_completed = 0, status = 'partial'");
        await ws.ExecuteAsync("CREATE TABLE missing (n int)");

        var resumed = await migrator.ApplyAsync(new ApplyRequest());

        Assert.Single(resumed.Runs);
        Assert.Contains(ws.Log.Entries, e => e.Id == EventIds.AlreadyDone && e.Message.Contains("dropped before the interruption"));
    }
}
