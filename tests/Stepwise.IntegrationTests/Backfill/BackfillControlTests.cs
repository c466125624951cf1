using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using Stepwise.Execution;
using Stepwise.Execution.Backfill;

namespace Stepwise.IntegrationTests.Backfill;

/// <summary>Steering a running backfill from another session (the CLI's <c>stepwise backfill</c>), its progress in the state schema, and the end fixed at its start.</summary>
public class BackfillControlTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Pause_from_another_process_holds_the_backfill_within_one_batch_and_resume_lets_it_finish()
    {
        await using var ws = await BackfillTable.CreateAsync(fixture, 20_000);
        var reports = new ConcurrentQueue<BackfillProgress>();
        var options = new BackfillOptions
        {
            InitialBatchSize = 500, MinBatchSize = 500, MaxBatchSize = 500, Pause = TimeSpan.FromMilliseconds(20), PollInterval = TimeSpan.FromMilliseconds(50),
            OnProgress = reports.Enqueue,
        };
        var run = BackfillTable.RunAsync(ws, options);
        await BackfillTable.WaitUntilAsync(() => reports.Count >= 3, "three batches ran");

        var pause = await ws.RunCliAsync("backfill", "pause");
        var doneAtPause = await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS NOT NULL");
        await BackfillTable.WaitUntilAsync(() => reports.Any(r => r.Waiting is not null), "the backfill reported that it waits");
        var held = await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS NOT NULL");
        await Task.Delay(1000);
        var stillHeld = await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS NOT NULL");
        var status = await ws.ScalarAsync<string>("SELECT state FROM stepwise.backfills WHERE version = 3 AND step = 1");
        var resume = await ws.RunCliAsync("backfill", "resume");
        var total = await run;

        Assert.Equal(0, pause.Code);
        Assert.Contains("backfills paused", pause.Out);
        Assert.Equal(0, resume.Code);
        Assert.InRange(held - doneAtPause, 0, 500); // at most the batch that was running when the pause committed
        Assert.Equal(held, stillHeld);
        Assert.StartsWith("waiting: paused by an operator", status);
        Assert.Contains(reports, r => r.Waiting?.StartsWith("paused by an operator", StringComparison.Ordinal) == true);
        Assert.Equal(20_000, total);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS DISTINCT FROM workflow_id * 10"));
        Assert.Equal("done", await ws.ScalarAsync<string>("SELECT state FROM stepwise.backfills WHERE version = 3 AND step = 1"));
    }

    [Fact]
    public async Task Set_from_another_process_changes_the_pause_and_the_batch_target_from_the_next_batch()
    {
        await using var ws = await BackfillTable.CreateAsync(fixture, 30_000);
        var reports = new ConcurrentQueue<(TimeSpan At, BackfillProgress Progress)>();
        var clock = Stopwatch.StartNew();
        var options = new BackfillOptions
        {
            InitialBatchSize = 1_000, MinBatchSize = 10, MaxBatchSize = 1_000, TargetBatchDuration = TimeSpan.FromSeconds(5), PollInterval = TimeSpan.FromMilliseconds(50),
            OnProgress = p => reports.Enqueue((clock.Elapsed, p)),
        };
        var run = BackfillTable.RunAsync(ws, options);
        await BackfillTable.WaitUntilAsync(() => reports.Count >= 2, "two batches ran");

        var set = await ws.RunCliAsync("backfill", "set", "--pause", "400ms", "--batch-target", "1ms", "--format", "json");
        var setAt = clock.Elapsed;
        await BackfillTable.WaitUntilAsync(() => reports.Count(r => r.At > setAt) >= 4, "four batches after the change");
        await ws.RunCliAsync("backfill", "set", "--pause", "default", "--batch-target", "default");
        await run;

        Assert.Equal(0, set.Code);
        Assert.Contains("\"pauseMs\": 400", set.Out);
        Assert.Contains("\"batchTargetMs\": 1", set.Out);
        var after = reports.Where(r => r.At > setAt).Take(4).ToList();
        // The batch running at the change may end at once; from the next one on, batches are 400 ms apart...
        for (var i = 2; i < after.Count; i++)
        {
            Assert.True(after[i].At - after[i - 1].At >= TimeSpan.FromMilliseconds(390), $"batches {i - 1} and {i} after the change were {(after[i].At - after[i - 1].At).TotalMilliseconds:0} ms apart");
        }
        // ...and sized for 1 ms: the size halves after every batch (at most halving per batch).
        Assert.True(after[^1].Progress.BatchSize <= 250, $"the batch size was {after[^1].Progress.BatchSize} four batches after a 1 ms target");
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM stepwise.backfill_control WHERE pause_ms IS NOT NULL OR batch_target_ms IS NOT NULL"));
    }

    [Fact]
    public async Task Status_shows_a_backfill_held_by_a_pause_before_its_first_batch_and_apply_finishes_once_resumed()
    {
        await using var ws = await BackfillTable.CreateAsync(fixture, 5_000);
        ws.Write("1_org.yaml", "operations:\n  - add_column:\n      table: runs\n      column: { name: team, type: int, nullable: false }\n      up: workflow_id + 1\n").WriteSum();
        await ws.RunCliAsync("backfill", "pause");

        var apply = ws.RunCliAsync("apply", "--format", "json");
        await BackfillTable.WaitUntilAsync(async () => (await ws.ScalarAsync<string>("SELECT state FROM stepwise.backfills"))?.StartsWith("waiting", StringComparison.Ordinal) == true,
            "the backfill waits");
        var status = await ws.RunCliAsync("status", "--format", "json");
        var text = await ws.RunCliAsync("status");
        await ws.RunCliAsync("backfill", "resume");
        var applied = await apply;

        Assert.Contains("\"table\": \"public.runs\"", status.Out);
        Assert.Contains("\"state\": \"waiting: paused by an operator", status.Out);
        Assert.Contains("\"walk\": \"heap\"", status.Out);
        Assert.Contains("\"paused\": true", status.Out);
        Assert.Contains("backfill public.runs (version 1, step", text.Out);
        Assert.Contains("backfills paused", text.Out);
        Assert.Equal(0, applied.Code);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE team IS DISTINCT FROM workflow_id + 1"));
    }

    [Fact]
    public async Task Status_shows_a_failed_backfill_as_failed_and_one_left_running_by_a_killed_run_as_stopped()
    {
        await using var ws = await BackfillTable.CreateAsync(fixture, 5_000);
        // workflow_id is g % 50: the rows of workflow 7 divide by zero.
        ws.Write("1_ratio.yaml", "operations:\n  - add_column:\n      table: runs\n      column: { name: ratio, type: int, nullable: false }\n      up: 100 / (workflow_id - 7)\n").WriteSum();

        var apply = await ws.RunCliAsync("apply");
        var failed = await ws.RunCliAsync("status", "--format", "json");
        // As a run killed mid-batch leaves it: the row says running, and no run holds the migration lock.
        await ws.ExecuteAsync("UPDATE stepwise.backfills SET state = 'running'");
        var killed = await ws.RunCliAsync("status");
        var killedJson = await ws.RunCliAsync("status", "--format", "json");

        Assert.Equal(3, apply.Code);
        Assert.Contains("22012: division by zero", apply.Error);
        Assert.Contains("detail: the fill fails on the row id = 7 (ctid (0,7))", apply.Error); // the first row of workflow 7
        Assert.Contains("hint: the fill (up) must give a value for every row that exists", apply.Error);
        Assert.Contains("\"state\": \"failed: 22012: division by zero (the fill fails on the row id = 7 (ctid (0,7)))\"", failed.Out);
        Assert.Contains("stopped: no Stepwise run is going on", killed.Out);
        Assert.DoesNotContain("s left", killed.Out);
        Assert.Contains("\"state\": \"stopped: no Stepwise run is going on", killedJson.Out);
        Assert.Equal("running", await ws.ScalarAsync<string>("SELECT state FROM stepwise.backfills")); // status only reads
    }

    [Theory]
    [InlineData("nullif(workflow_id, 3)", "23514", "the fill gives NULL (or a value the column refuses) for the row id = 3 (ctid (0,3))")]
    [InlineData("(CASE WHEN workflow_id = 2 THEN 'two' ELSE '1' END)::int", "22P02", "the fill fails on the row id = 2 (ctid (0,2))")]
    public async Task A_row_the_fill_cannot_fill_is_named_and_fixing_it_lets_apply_resume(string up, string state, string detail)
    {
        await using var ws = await BackfillTable.CreateAsync(fixture, 3_000);
        ws.Write("1_team.yaml", $"operations:\n  - add_column:\n      table: runs\n      column: {{ name: team, type: int, nullable: false }}\n      up: {up}\n").WriteSum();

        var failed = await ws.RunCliAsync("apply", "--format", "json");
        var rowsBefore = await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE team IS NOT NULL");
        await ws.ExecuteAsync("UPDATE runs SET workflow_id = 1 WHERE workflow_id IN (2, 3)");
        var resumed = await ws.RunCliAsync("apply");

        Assert.Equal(3, failed.Code);
        Assert.Contains($"\"sqlState\": \"{state}\"", failed.Out + failed.Error);
        Assert.Contains(detail, failed.Out + failed.Error);
        Assert.InRange(rowsBefore, 0, 2); // the batch was rolled back: at most the rows before it
        Assert.True(resumed.Code == 0, resumed.Out + resumed.Error);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE team IS NULL"));
    }

    [Fact]
    public async Task A_rate_limit_spreads_the_batches_so_rows_per_second_stay_under_it()
    {
        await using var ws = await BackfillTable.CreateAsync(fixture, 3_000);
        var options = new BackfillOptions { InitialBatchSize = 500, MinBatchSize = 500, MaxBatchSize = 500, MaxRowsPerSecond = 2_000 };

        var clock = Stopwatch.StartNew();
        var total = await BackfillTable.RunAsync(ws, options);

        Assert.Equal(3_000, total);
        // Six batches of 500 at 2,000 rows/s: the five waits after the first five batches take at least 1.25 s.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.2), $"3,000 rows at 2,000 rows/s took {clock.Elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Backfill_commands_refuse_bad_settings_and_a_database_without_backfill_control()
    {
        await using var ws = await BackfillTable.CreateAsync(fixture, 10);

        await ws.ExecuteAsync("DROP SCHEMA stepwise CASCADE");
        var none = await ws.RunCliAsync("backfill", "pause");
        await using (var connection = new NpgsqlConnection(ws.ConnectionString))
        {
            await connection.OpenAsync();
            await new HistoryStore("stepwise").EnsureAsync(connection, CancellationToken.None);
        }
        var empty = await ws.RunCliAsync("backfill", "set");
        var badRate = await ws.RunCliAsync("backfill", "set", "--rate", "fast");
        var badPause = await ws.RunCliAsync("backfill", "set", "--pause", "soon");
        var misplaced = await ws.RunCliAsync("backfill", "pause", "--rate", "10");
        var badAction = await ws.RunCliAsync("backfill", "stop");

        Assert.Equal(2, none.Code);
        Assert.Contains("has no backfill control yet", none.Error);
        Assert.All(new[] { empty, badRate, badPause, misplaced, badAction }, r => Assert.Equal(2, r.Code));
        Assert.Contains("needs --batch-target, --pause or --rate", empty.Error);
        Assert.Contains("--rate 'fast' is not a number", badRate.Error);
        Assert.Contains("--pause 'soon' is not a duration", badPause.Error);
        Assert.Contains("go with 'stepwise backfill set'", misplaced.Error);
        Assert.False(await ws.ScalarAsync<bool>("SELECT paused FROM stepwise.backfill_control"));
    }

    [Fact]
    public async Task Backfill_set_takes_the_option_names_apply_uses_too()
    {
        await using var ws = await BackfillTable.CreateAsync(fixture, 10);

        var set = await ws.RunCliAsync("backfill", "set", "--batch-time", "150ms", "--batch-pause", "300ms", "--backfill-rate", "5000", "--format", "json");
        var stored = await ws.ScalarAsync<string>("SELECT concat_ws(' ', batch_target_ms, pause_ms, max_rows_per_second) FROM stepwise.backfill_control");
        var back = await ws.RunCliAsync("backfill", "set", "--batch-time", "default", "--batch-pause", "default", "--backfill-rate", "default");

        Assert.Equal(0, set.Code);
        Assert.Contains("\"batchTargetMs\": 150", set.Out);
        Assert.Contains("\"pauseMs\": 300", set.Out);
        Assert.Contains("\"maxRowsPerSecond\": 5000", set.Out);
        Assert.Equal("150 300 5000", stored);
        Assert.Equal(0, back.Code);
        Assert.Equal("backfills running", back.Out.Split(" (set ")[0].Trim());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_insert_storm_faster_than_the_backfill_does_not_keep_it_from_finishing(bool heapWalk)
    {
        await using var ws = await BackfillTable.CreateAsync(fixture, 4_000);
        // The fill trigger covers rows written meanwhile, as add_column's does.
        await ws.ExecuteAsync("""
            CREATE FUNCTION fill_org() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.org := NEW.workflow_id * 10; RETURN NEW; END $$;
            CREATE TRIGGER fill_org BEFORE INSERT OR UPDATE ON runs FOR EACH ROW WHEN (NEW.org IS NULL) EXECUTE FUNCTION fill_org();
            """);
        using var stop = new CancellationTokenSource();
        long inserted = 0;
        var writers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(ws.ConnectionString);
            await connection.OpenAsync();
            while (!stop.IsCancellationRequested)
            {
                await using var insert = new NpgsqlCommand("INSERT INTO runs (workflow_id) SELECT g % 50 FROM generate_series(1, 200) g", connection);
                Interlocked.Add(ref inserted, await insert.ExecuteNonQueryAsync());
            }
        })).ToList();
        await BackfillTable.WaitUntilAsync(() => Interlocked.Read(ref inserted) >= 2_000, "the writers got going");
        var options = new BackfillOptions { InitialBatchSize = 200, MinBatchSize = 200, MaxBatchSize = 200, MaxRowsPerSecond = 1_000 };

        var clock = Stopwatch.StartNew();
        var insertedBefore = Interlocked.Read(ref inserted);
        var updated = await BackfillTable.RunAsync(ws, options, BackfillTable.Runs with { FilledByTrigger = heapWalk }).WaitAsync(TimeSpan.FromMinutes(2));
        var insertedDuring = Interlocked.Read(ref inserted) - insertedBefore;
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        Assert.True(insertedDuring >= 2 * updated, $"{insertedDuring} rows inserted while {updated} were backfilled in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(heapWalk ? "heap" : "key", await ws.ScalarAsync<string>("SELECT walk FROM stepwise.backfills"));
        Assert.Equal(4_000, updated); // the rows that were there at the start, not those written since (the trigger filled them)
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS DISTINCT FROM workflow_id * 10"));
    }
}
