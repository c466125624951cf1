using System.Collections.Concurrent;
using Npgsql;
using Stepwise.Execution;
using Stepwise.Execution.Backfill;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Backfill;

/// <summary>Each throttle holds the backfill while its condition holds and lets it go on after.</summary>
public class BackfillThrottleTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static BackfillOptions Options(ConcurrentQueue<BackfillProgress> reports) => new()
    {
        InitialBatchSize = 200, MinBatchSize = 200, MaxBatchSize = 200, PollInterval = TimeSpan.FromMilliseconds(50), OnProgress = reports.Enqueue,
    };

    private static Task WaitForReasonAsync(ConcurrentQueue<BackfillProgress> reports, string reason) =>
        BackfillTable.WaitUntilAsync(() => Task.FromResult(reports.Any(r => r.Waiting?.Contains(reason, StringComparison.Ordinal) == true)), $"the backfill waits for {reason}");

    private static async Task<NpgsqlConnection> OpenAsync(MigrationWorkspace ws)
    {
        var connection = new NpgsqlConnection(ws.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task A_vacuum_working_on_the_table_holds_the_backfill_until_it_ends()
    {
        await using var ws = await BackfillTable.CreateAsync(fixture, 2_000);
        // A cursor keeps the table's first page pinned; VACUUM (FREEZE) must clean it up, so it waits there, in progress.
        await using var reader = await OpenAsync(ws);
        await ExecuteAsync(reader, "BEGIN; DECLARE c CURSOR FOR SELECT * FROM runs; FETCH 1 FROM c");
        await using var vacuumer = await OpenAsync(ws);
        var vacuum = ExecuteAsync(vacuumer, "VACUUM (FREEZE) runs");
        await BackfillTable.WaitUntilAsync(async () => await ws.ScalarAsync<long>("SELECT count(*) FROM pg_stat_progress_vacuum WHERE relid = 'runs'::regclass") > 0, "VACUUM is at work");
        var reports = new ConcurrentQueue<BackfillProgress>();
        var options = Options(reports);
        options.WaitWhileVacuumed = true;

        var run = BackfillTable.RunAsync(ws, options);
        await WaitForReasonAsync(reports, "a VACUUM works on public.runs");
        await Task.Delay(500);
        var held = await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS NOT NULL");
        await ExecuteAsync(reader, "COMMIT");
        await vacuum;
        var total = await run;

        Assert.Equal(0, held);
        Assert.Equal(2_000, total);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS NULL"));
    }

    [Fact]
    public async Task An_old_snapshot_holds_the_backfill_until_its_transaction_ends()
    {
        await using var ws = await BackfillTable.CreateAsync(fixture, 2_000);
        await using var old = await OpenAsync(ws);
        await ExecuteAsync(old, "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM runs");
        await Task.Delay(300);
        var reports = new ConcurrentQueue<BackfillProgress>();
        var options = Options(reports);
        options.MaxSnapshotAge = TimeSpan.FromMilliseconds(200);

        var run = BackfillTable.RunAsync(ws, options);
        await WaitForReasonAsync(reports, $"the transaction of pid {old.ProcessID} has held its snapshot");
        await Task.Delay(500);
        var held = await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS NOT NULL");
        await ExecuteAsync(old, "COMMIT");
        var total = await run;

        Assert.Equal(0, held);
        Assert.Equal(2_000, total);
    }

    [Fact]
    public async Task Wal_written_by_others_above_the_limit_holds_the_backfill_until_they_stop()
    {
        await using var ws = await BackfillTable.CreateAsync(fixture, 2_000);
        await ws.ExecuteAsync("CREATE TABLE noise (g int, pad text)");
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            await using var connection = await OpenAsync(ws);
            while (!stop.IsCancellationRequested)
            {
                // About 10 MB of WAL a statement, far above the limit below.
                await ExecuteAsync(connection, "INSERT INTO noise SELECT g, repeat(md5(g::text), 12) FROM generate_series(1, 20000) g; TRUNCATE noise");
            }
        });
        var reports = new ConcurrentQueue<BackfillProgress>();
        var options = Options(reports);
        options.MaxWalBytesPerSecond = 1_000_000;

        var run = BackfillTable.RunAsync(ws, options);
        await WaitForReasonAsync(reports, "MB of WAL per second (limit 1.0 MB/s)");
        await Task.Delay(500);
        var held = await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS NOT NULL");
        await Task.Delay(500);
        var stillHeld = await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS NOT NULL");
        await stop.CancelAsync();
        await writer;
        var total = await run;

        Assert.Equal(held, stillHeld);
        Assert.InRange(held, 0, 400); // the first batch runs before there is a rate to measure; at most one more before the hold
        Assert.Equal(2_000, total);
    }

    [Fact]
    public async Task A_latency_query_is_asked_after_every_batch_and_the_backfill_yields_while_it_is_high()
    {
        await using var ws = await BackfillTable.CreateAsync(fixture, 2_000);
        await ws.ExecuteAsync("CREATE SEQUENCE probes");
        var reports = new ConcurrentQueue<BackfillProgress>();
        var options = Options(reports);
        options.MaxYieldPause = TimeSpan.FromMilliseconds(20);
        // Above the 50 ms target for the first three batches, as an interval; then a number of milliseconds.
        options.ClientLatencyQuery = "SELECT CASE WHEN nextval('probes') <= 3 THEN interval '500 ms' ELSE NULL END";

        var total = await BackfillTable.RunAsync(ws, options);
        var batches = reports.Count(r => r is { Waiting: null, Done: false });
        var probes = await ws.ScalarAsync<long>("SELECT last_value FROM probes");
        options.ClientLatencyQuery = "SELECT 'slow'::text";
        await ws.ExecuteAsync("UPDATE runs SET org = NULL WHERE id <= 400; DELETE FROM stepwise.backfills");
        var bad = await Assert.ThrowsAsync<MigrationRefusedException>(() => BackfillTable.RunAsync(ws, options));
        options.ClientLatencyQuery = "SELECT * FROM no_such_metrics";
        var failing = await Assert.ThrowsAsync<MigrationRefusedException>(() => BackfillTable.RunAsync(ws, options));

        Assert.Equal(2_000, total);
        Assert.Equal(batches, probes); // after every batch but the last
        Assert.Contains("returned a String; it must return one number of milliseconds or an interval", bad.Message);
        Assert.Contains("the client latency query failed: relation \"no_such_metrics\" does not exist", failing.Message);
    }
}
