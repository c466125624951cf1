using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Stepwise.Execution;
using Stepwise.Execution.Backfill;
using Stepwise.IntegrationTests.Execution;
using Stepwise.Planning;

namespace Stepwise.IntegrationTests.Backfill;

public class BackfillRunnerTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private sealed class Crash : Exception;

    private static async Task<long> RunAsync(MigrationWorkspace ws, BackfillSpec spec, BackfillOptions? options = null, int step = 1)
    {
        await using var connection = new NpgsqlConnection(ws.ConnectionString);
        await connection.OpenAsync();
        var history = new HistoryStore("stepwise");
        await history.EnsureAsync(connection, CancellationToken.None);
        var runner = new BackfillRunner(connection, history, options ?? new BackfillOptions { InitialBatchSize = 100, MinBatchSize = 10 }, NullLogger.Instance);
        return await runner.RunAsync(7, step, spec, CancellationToken.None);
    }

    /// <summary>A table of <paramref name="rows"/> short rows on full pages (fill factor 100), <c>touched</c> 0, analysed, autovacuum off.</summary>
    private static Task CreateLogsAsync(MigrationWorkspace ws, string table, int rows) => ws.ExecuteAsync($"""
        CREATE TABLE {table} (line text, touched int NOT NULL DEFAULT 0) WITH (autovacuum_enabled = false);
        INSERT INTO {table} (line) SELECT 'line ' || g FROM generate_series(1, {rows}) g;
        ANALYZE {table};
        """);

    private static BackfillSpec Spec(string table, string column, string expression, string? where, params KeyColumn[] key) =>
        new("public", table, [new BackfillSet(column, expression)], where, key);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_row_the_fill_fails_on_is_named_in_the_error_in_key_and_in_heap_order(bool heap)
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("""
            CREATE TABLE items (id bigint PRIMARY KEY, n int NOT NULL, filled int);
            INSERT INTO items SELECT g, g FROM generate_series(1, 3000) g;
            ANALYZE items;
            """);
        // Row 1234 comes in a later batch than the first (100 rows, growing): the search starts after the checkpoint.
        var spec = new BackfillSpec("public", "items", [new BackfillSet("filled", "CASE WHEN n = 1234 THEN 1 / (n - n) ELSE n END")], "filled IS NULL",
            [new KeyColumn("id", "bigint")], FilledByTrigger: heap);

        var ex = await Assert.ThrowsAsync<PostgresException>(() => RunAsync(ws, spec));

        Assert.Equal("22012", ex.SqlState);
        Assert.Matches(@"^the fill fails on the row id = 1234 \(ctid \(\d+,\d+\)\)$", ex.Detail);
        Assert.StartsWith("the fill (up) must give a value for every row that exists", ex.Hint);
        Assert.Equal($"failed: 22012: division by zero ({ex.Detail})", await ws.ScalarAsync<string>("SELECT state FROM stepwise.backfills"));
        Assert.Equal(heap ? "heap" : "key", await ws.ScalarAsync<string>("SELECT walk FROM stepwise.backfills"));
    }

    [Fact]
    public async Task A_uuid_keyed_table_is_filled_and_a_crash_resumes_after_the_last_committed_batch_updating_no_row_twice()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("""
            CREATE TABLE runs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), workflow_id int NOT NULL, org int, touched int NOT NULL DEFAULT 0);
            INSERT INTO runs (workflow_id) SELECT g % 50 FROM generate_series(1, 5000) g;
            """);
        var spec = new BackfillSpec("public", "runs", [new BackfillSet("org", "workflow_id * 10"), new BackfillSet("touched", "touched + 1")], null, [new KeyColumn("id", "uuid")]);
        var batches = 0;
        var crashing = new BackfillOptions { InitialBatchSize = 100, MinBatchSize = 10, MaxBatchSize = 500, OnProgress = _ => { if (++batches == 5) throw new Crash(); } };

        await Assert.ThrowsAsync<Crash>(() => RunAsync(ws, spec, crashing));
        var afterCrash = await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS NOT NULL");
        var total = await RunAsync(ws, spec);

        Assert.InRange(afterCrash, 1, 4999);
        Assert.Equal(5000, total);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS DISTINCT FROM workflow_id * 10"));
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE touched <> 1")); // nobody twice
        Assert.Equal(5000L, await ws.ScalarAsync<long>("SELECT rows_done FROM stepwise.backfills WHERE version = 7 AND step = 1"));
    }

    [Fact]
    public async Task A_composite_key_and_a_where_clause_update_only_the_rows_that_need_it()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("""
            CREATE TABLE events (tenant text, seq bigint, kind text, flag boolean, PRIMARY KEY (tenant, seq));
            INSERT INTO events SELECT 'tenant ' || (g % 7), g, CASE WHEN g % 3 = 0 THEN 'error' ELSE 'info' END FROM generate_series(1, 3000) g;
            UPDATE events SET flag = false WHERE seq % 5 = 0;
            """);

        var total = await RunAsync(ws, Spec("events", "flag", "kind = 'error'", "flag IS NULL", new KeyColumn("tenant", "text"), new KeyColumn("seq", "bigint")));

        Assert.Equal(2400, total);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM events WHERE flag IS NULL"));
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM events WHERE seq % 5 <> 0 AND flag <> (kind = 'error')"));
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM events WHERE seq % 5 = 0 AND flag")); // left alone
    }

    [Fact]
    public async Task A_table_without_a_primary_key_is_walked_by_page_ranges_and_an_empty_table_is_done_at_once()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("""
            CREATE TABLE logs (line text, upper_line text);
            INSERT INTO logs (line) SELECT 'line ' || g FROM generate_series(1, 20000) g;
            CREATE TABLE empty (id bigint PRIMARY KEY, x int);
            """);

        var total = await RunAsync(ws, Spec("logs", "upper_line", "upper(line)", "upper_line IS NULL"));
        var none = await RunAsync(ws, Spec("empty", "x", "1", null, new KeyColumn("id", "bigint")), step: 2);

        Assert.Equal(20000, total);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM logs WHERE upper_line IS DISTINCT FROM upper(line)"));
        Assert.Equal(0, none);
        Assert.True(await ws.ScalarAsync<int>("SELECT batches FROM stepwise.backfills WHERE step = 1") > 1);
    }

    [Fact]
    public async Task Keyset_batches_read_their_key_range_and_never_scan_the_whole_table()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("""
            CREATE TABLE runs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), workflow_id int NOT NULL, org int);
            INSERT INTO runs (workflow_id) SELECT g % 50 FROM generate_series(1, 50000) g;
            ANALYZE runs;
            """);
        var before = await ws.ScalarAsync<long>("SELECT seq_tup_read FROM pg_stat_user_tables WHERE relid = 'runs'::regclass");

        var total = await RunAsync(ws, Spec("runs", "org", "workflow_id * 10", "org IS NULL", new KeyColumn("id", "uuid")),
            new BackfillOptions { InitialBatchSize = 5_000, MinBatchSize = 5_000, MaxBatchSize = 5_000 });

        await StatisticsReportedAsync(ws);
        // Ten batches that each joined their keys against a scan of the table would read 500,000 rows.
        var read = await ws.ScalarAsync<long>("SELECT seq_tup_read FROM pg_stat_user_tables WHERE relid = 'runs'::regclass") - before;
        Assert.True(read < 50000, $"the batches read {read} rows by sequential scans");
        Assert.Equal(50000, total);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS DISTINCT FROM workflow_id * 10"));
    }

    /// <summary>A backend reports its statistics when it exits at the latest: close the runner's, and wait until it is gone.</summary>
    private static async Task StatisticsReportedAsync(MigrationWorkspace ws)
    {
        NpgsqlConnection.ClearPool(new NpgsqlConnection(ws.ConnectionString));
        for (var i = 0; i < 100 && await ws.ScalarAsync<long>("""
            SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
            """) > 0; i++)
        {
            await Task.Delay(50);
        }
        await ws.ExecuteAsync("SELECT pg_stat_clear_snapshot()");
    }

    [Fact]
    public async Task A_heap_walk_updates_each_range_in_passes_whose_later_updates_are_hot_and_a_crash_between_passes_updates_no_row_twice()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        // full: fill factor 100, every page full, so only pruning between passes makes room on a page; roomy: half-empty
        // pages, where the first pass's new versions stay on their page under line pointer numbers of later passes' shares.
        await ws.ExecuteAsync("""
            CREATE TABLE full_logs (line text, touched int NOT NULL DEFAULT 0) WITH (autovacuum_enabled = false);
            CREATE TABLE roomy_logs (LIKE full_logs INCLUDING DEFAULTS) WITH (fillfactor = 50, autovacuum_enabled = false);
            CREATE TABLE indexed_logs (LIKE full_logs INCLUDING DEFAULTS) WITH (autovacuum_enabled = false);
            CREATE INDEX ON indexed_logs (touched);
            INSERT INTO full_logs (line) SELECT 'line ' || g FROM generate_series(1, 20000) g;
            INSERT INTO roomy_logs (line) SELECT 'line ' || g FROM generate_series(1, 20000) g;
            INSERT INTO indexed_logs (line) SELECT 'line ' || g FROM generate_series(1, 2000) g;
            ANALYZE full_logs, roomy_logs, indexed_logs;
            """);
        var step = 0;
        var checkpoints = new List<int>();
        foreach (var table in new[] { "full_logs", "roomy_logs" })
        {
            step++;
            var batches = 0;
            // No WHERE, so a row updated twice would show 2; as behind a fill trigger, the walk ends at the table's last page.
            var spec = Spec(table, "touched", "touched + 1", null) with { FilledByTrigger = true };
            var crashing = new BackfillOptions { InitialBatchSize = 1_000, MaxBatchSize = 1_000, VacuumAsItGoes = false, OnProgress = _ => { if (++batches == 8) throw new Crash(); } };
            await Assert.ThrowsAsync<Crash>(() => RunAsync(ws, spec, crashing, step));
            checkpoints.Add(await ws.ScalarAsync<int>($"SELECT cardinality(last_key) FROM stepwise.backfills WHERE version = 7 AND step = {step}"));
            Assert.Equal("16:5,3,3,2,2,1", await ws.ScalarAsync<string>($"SELECT last_key[3] FROM stepwise.backfills WHERE version = 7 AND step = {step}"));
            Assert.Equal(20000, await RunAsync(ws, spec, new BackfillOptions { InitialBatchSize = 1_000, MaxBatchSize = 1_000, VacuumAsItGoes = false }, step));
            Assert.Equal(0L, await ws.ScalarAsync<long>($"SELECT count(*) FROM {table} WHERE touched <> 1"));
        }
        var crashed = 0;
        var indexed = new BackfillOptions { InitialBatchSize = 1_000, MaxBatchSize = 1_000, OnProgress = _ => { if (++crashed == 1) throw new Crash(); } };
        await Assert.ThrowsAsync<Crash>(() => RunAsync(ws, Spec("indexed_logs", "touched", "touched + 1", null) with { FilledByTrigger = true }, indexed, step: 3));
        await StatisticsReportedAsync(ws);

        // The eighth batch is the second pass of the second range (six passes per range): the checkpoint holds the range,
        // its passes, the next pass and the transaction ids of the two passes before it.
        Assert.Equal([6, 6], checkpoints);
        // Once the first pass's rows left the full pages, most later updates found room on their own page.
        Assert.True(await ws.ScalarAsync<long>("SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = 'full_logs'::regclass") >= 20000 * 5 / 10);
        // An index on the column set: no update can be HOT, so one pass per range (a finished range's checkpoint is its next page).
        Assert.Equal(1, await ws.ScalarAsync<int>("SELECT cardinality(last_key) FROM stepwise.backfills WHERE version = 7 AND step = 3"));
    }

    [Fact]
    public async Task A_table_without_key_or_trigger_updates_no_row_twice_though_its_open_last_range_holds_the_rows_earlier_batches_moved()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        // Full pages: every first-pass update moves its row, most to new pages past the walk's end, which the open last
        // range (left open for rows the application writes meanwhile, no trigger filling them) reads again.
        await CreateLogsAsync(ws, "open_logs", 20000);
        var batches = 0;
        var crashing = new BackfillOptions { InitialBatchSize = 1_000, MaxBatchSize = 1_000, OnProgress = _ => { if (++batches == 10) throw new Crash(); } };

        await Assert.ThrowsAsync<Crash>(() => RunAsync(ws, Spec("open_logs", "touched", "touched + 1", null), crashing));
        var total = await RunAsync(ws, Spec("open_logs", "touched", "touched + 1", null), new BackfillOptions { InitialBatchSize = 1_000, MaxBatchSize = 1_000 });

        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM open_logs WHERE touched <> 1"));
        Assert.Equal(20000, total);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM stepwise.backfill_writes")); // forgotten once done
    }

    [Fact]
    public async Task A_range_an_earlier_stepwise_began_in_passes_by_line_pointer_number_is_resumed_in_those_shares()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await CreateLogsAsync(ws, "old_logs", 5000);
        var history = new HistoryStore("stepwise");
        await using (var connection = new NpgsqlConnection(ws.ConnectionString))
        {
            await connection.OpenAsync();
            await history.EnsureAsync(connection, CancellationToken.None);
        }
        // What an earlier Stepwise left after the first of four passes over the whole table: the rows whose line pointer
        // number is a multiple of 4 updated, and a checkpoint that says "4" (line pointer shares), next pass 1.
        var pages = await ws.ScalarAsync<long>("SELECT pg_relation_size('old_logs') / current_setting('block_size')::bigint");
        var start = await ws.ScalarAsync<string>("SELECT (txid_current() % 4294967296)::text");
        var first = await ws.ScalarAsync<string>(
            "WITH u AS (UPDATE old_logs SET touched = touched + 1 WHERE (ctid::text::point)[1]::integer % 4 = 0 RETURNING 1) SELECT (txid_current() % 4294967296)::text FROM u LIMIT 1");
        await ws.ExecuteAsync($"""
            INSERT INTO stepwise.backfills (version, step, table_name, walk, end_key, last_key, state)
            VALUES (7, 1, 'public.old_logs', 'heap', ARRAY['{pages}', '{start}'], ARRAY['0', '{pages}', '4', '1', '{first}'], 'running')
            """);

        await RunAsync(ws, Spec("old_logs", "touched", "touched + 1", null) with { FilledByTrigger = true },
            new BackfillOptions { InitialBatchSize = 1_000, VacuumAsItGoes = false });

        // The sixteenths of today's passes would have skipped rows of the first quarter: every row exactly once.
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM old_logs WHERE touched <> 1"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_batch_that_waits_lock_timeout_for_a_row_another_session_holds_is_rolled_back_and_retried(bool heapWalk)
    {
        await using var ws = await BackfillTable.CreateAsync(fixture, 2_000);
        await using var holder = new NpgsqlConnection(ws.ConnectionString);
        await holder.OpenAsync();
        await using (var hold = new NpgsqlCommand("BEGIN; SELECT * FROM runs WHERE id = 10 FOR UPDATE", holder))
        {
            await hold.ExecuteNonQueryAsync();
        }
        var log = new ListLogger();
        await using var connection = new NpgsqlConnection(ws.ConnectionString);
        await connection.OpenAsync();
        await using (var timeout = new NpgsqlCommand("SET lock_timeout = '100ms'", connection))
        {
            await timeout.ExecuteNonQueryAsync(); // as the executor sets it
        }

        var run = new BackfillRunner(connection, new HistoryStore("stepwise"), new BackfillOptions(), log)
            .RunAsync(3, 1, BackfillTable.Runs with { FilledByTrigger = heapWalk }, CancellationToken.None);
        await BackfillTable.WaitUntilAsync(() => run.IsCompleted || log.Entries.Any(e => e.Id == EventIds.LockTimeoutRetry), "a batch was retried");
        await using (var release = new NpgsqlCommand("ROLLBACK", holder))
        {
            await release.ExecuteNonQueryAsync();
        }

        // The lock_timeout of the batch's update (its second command) reaches the reader after the batch is sent.
        Assert.Equal(2000, await run);
        Assert.Contains(log.Entries, e => e.Id == EventIds.LockTimeoutRetry && e.Message.Contains("waited lock_timeout", StringComparison.Ordinal));
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS DISTINCT FROM workflow_id * 10"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_batch_that_runs_past_its_bound_is_cancelled_and_retried_smaller_so_that_no_batch_holds_its_rows_far_past_the_target(bool heapWalk)
    {
        await using var ws = await BackfillTable.CreateAsync(fixture, 3_000);
        await ws.ExecuteAsync("CREATE FUNCTION slowly(v int) RETURNS int LANGUAGE sql VOLATILE AS 'SELECT v FROM pg_sleep(0.001)'"); // a millisecond a row at least
        var (log, batches) = (new ListLogger(), new List<long>());
        var options = new BackfillOptions
        {
            TargetBatchDuration = TimeSpan.FromMilliseconds(100), InitialBatchSize = 2_000, MinBatchSize = 10, VacuumAsItGoes = false,
            OnProgress = p => batches.Add(p.RowsDone - (batches.Count == 0 ? 0 : batches.Sum())),
        };
        await using var connection = new NpgsqlConnection(ws.ConnectionString);
        await connection.OpenAsync();

        var updated = await new BackfillRunner(connection, new HistoryStore("stepwise"), options, log)
            .RunAsync(3, 1, BackfillTable.Runs with { Set = [new BackfillSet("org", "slowly(workflow_id * 10)")], FilledByTrigger = heapWalk }, CancellationToken.None);

        // The first batch, of 2,000 rows (a heap walk: its first pass over the pages that hold them), would take 2 s and
        // more; cancelled at 112 ms (1.125 times the target), it is retried at half its size until it fits.
        Assert.Equal(3_000, updated);
        var cancels = log.Entries.Where(e => e.Id == EventIds.BackfillBatchCancelled).Select(e => e.Message).ToList();
        Assert.True(cancels.Count >= 3, string.Join("\n", cancels));
        Assert.All(cancels, m => Assert.Contains("ran past 112 ms and was cancelled (rolled back); it is retried ", m, StringComparison.Ordinal));
        Assert.Matches(heapWalk ? @"it is retried at \d+ pages$" : "it is retried at 1000 rows$", cancels[0]);
        // Each row sleeps a millisecond or more, so no batch that committed updated more rows than its bound has
        // milliseconds (told by the server, which a stall of the client cannot blur). A cancelled batch counts nothing.
        Assert.InRange(batches.Max(), 1, 112);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS DISTINCT FROM workflow_id * 10"));
        Assert.Equal(3_000L, await ws.ScalarAsync<long>("SELECT rows_done FROM stepwise.backfills WHERE version = 3 AND step = 1"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_batch_that_cannot_be_made_smaller_is_retried_as_it_is_once_then_without_the_bound(bool heapWalk)
    {
        await using var ws = await BackfillTable.CreateAsync(fixture, 2_000);
        await using var holder = new NpgsqlConnection(ws.ConnectionString);
        await holder.OpenAsync();
        var log = new ListLogger();
        // After the first batch an application transaction locks every row: the next batch waits for one and reaches its
        // bound. A heap walk's next batch is its range's second pass (pages fixed by the checkpoint); the keyset batches
        // are of the smallest size.
        var options = new BackfillOptions
        {
            TargetBatchDuration = TimeSpan.FromMilliseconds(100), InitialBatchSize = 500, MinBatchSize = heapWalk ? 1 : 500, MaxBatchSize = heapWalk ? 200_000 : 500,
            VacuumAsItGoes = false,
            OnProgress = p =>
            {
                if (p.Waiting is null && p.RowsDone > 0 && holder.State == System.Data.ConnectionState.Open && !log.Entries.Any(e => e.Id == EventIds.BackfillBatchCancelled))
                {
                    using var hold = new NpgsqlCommand("BEGIN; SELECT FROM runs FOR UPDATE", holder);
                    hold.ExecuteNonQuery();
                }
            },
        };
        await using var connection = new NpgsqlConnection(ws.ConnectionString);
        await connection.OpenAsync();

        var run = new BackfillRunner(connection, new HistoryStore("stepwise"), options, log).RunAsync(3, 1, BackfillTable.Runs with { FilledByTrigger = heapWalk }, CancellationToken.None);
        await BackfillTable.WaitUntilAsync(() => run.IsCompleted || log.Entries.Any(e => e.Message.Contains("retried without the bound", StringComparison.Ordinal)), "a batch ran without its bound");
        await Task.Delay(300);
        var waited = !run.IsCompleted; // without its bound, the batch waits for the row as long as the session's lock_timeout lets it (here: no limit)
        await using (var release = new NpgsqlCommand("ROLLBACK", holder))
        {
            await release.ExecuteNonQueryAsync();
        }

        Assert.Equal(2_000, await run);
        Assert.True(waited);
        var cancels = log.Entries.Where(e => e.Id == EventIds.BackfillBatchCancelled).Select(e => e.Message).ToList();
        Assert.Equal(["it is retried as it is", "it is retried without the bound"], cancels.Select(m => m[(m.IndexOf("; ", StringComparison.Ordinal) + 2)..]));
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS DISTINCT FROM workflow_id * 10"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Each_batch_is_one_round_trip_that_commits_its_update_checkpoint_and_progress_together(bool heapWalk)
    {
        await using var ws = await BackfillTable.CreateAsync(fixture, 20_000);
        var runnerSource = ws.ConnectionString + ";Application Name=backfill-runner";
        var roundTrips = 0;
        // Npgsql traces each command or batch it sends, one round trip each; the runner's have a connection string of their own.
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("db.npgsql.data_source") as string is { } source && source.Contains("backfill-runner", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref roundTrips);
                }
            },
        };
        await using var connection = new NpgsqlConnection(runnerSource);
        await connection.OpenAsync();
        ActivitySource.AddActivityListener(listener);
        await using var observer = new NpgsqlConnection(ws.ConnectionString);
        await observer.OpenAsync();
        var rows = new List<(BackfillProgress Progress, long RowsDone, long Visited, string State)>();
        var options = new BackfillOptions
        {
            InitialBatchSize = 500, MinBatchSize = 500, MaxBatchSize = 500,
            OnProgress = p =>
            {
                if (p.Done || p.Waiting is not null)
                {
                    return;
                }
                // Right after the batch, before any other statement of the runner: its commit carried its checkpoint and progress.
                using var command = new NpgsqlCommand("SELECT rows_done, visited, state FROM stepwise.backfills", observer);
                using var reader = command.ExecuteReader();
                reader.Read();
                rows.Add((p, reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2)));
            },
        };

        var updated = await new BackfillRunner(connection, new HistoryStore("stepwise"), options, NullLogger.Instance)
            .RunAsync(3, 1, BackfillTable.Runs with { FilledByTrigger = heapWalk }, CancellationToken.None);
        var trips = Volatile.Read(ref roundTrips);

        var batches = await ws.ScalarAsync<int>("SELECT batches FROM stepwise.backfills");
        Assert.Equal(20_000, updated);
        Assert.Equal(heapWalk ? "heap" : "key", await ws.ScalarAsync<string>("SELECT walk FROM stepwise.backfills"));
        Assert.True(batches >= 10, $"{batches} batches");
        // Besides the batches: the checkpoint read, the table's size, the highest key (keyset), the checkpoint row made,
        // the look before the first batch, the keyset's last (empty) batch and the row marked done.
        Assert.Equal(heapWalk ? 5 : 7, trips - batches);
        Assert.NotEmpty(rows);
        Assert.All(rows, r =>
        {
            Assert.Equal(r.Progress.RowsDone, r.RowsDone);
            Assert.Equal(r.Progress.RowsVisited, r.Visited);
            Assert.Equal("running", r.State);
        });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_batch_runs_without_jit_or_a_synchronous_commit_and_names_its_table_in_its_own_transaction_only(bool heapWalk)
    {
        await using var ws = await BackfillTable.CreateAsync(fixture, 3_000);
        await ws.ExecuteAsync("ALTER TABLE runs ADD COLUMN seen text");
        // Every batch plans as if JIT paid off (without the batch's own setting each one would be compiled), and commits wait for the disk.
        await ws.ExecuteAsync("DO $$BEGIN EXECUTE format('ALTER DATABASE %I SET jit_above_cost = 0', current_database()); EXECUTE format('ALTER DATABASE %I SET synchronous_commit = on', current_database()); END$$");
        // A new session (not one from the pool, made before the settings).
        await using var connection = new NpgsqlConnection(ws.ConnectionString + ";Application Name=backfill-settings");
        await connection.OpenAsync();
        var spec = BackfillTable.Runs with
        {
            Set = [.. BackfillTable.Runs.Set, new BackfillSet("seen", $"concat_ws(' ', current_setting('jit'), current_setting('synchronous_commit'), current_setting('{BackfillSpec.FillingSetting}', true))")],
            FilledByTrigger = heapWalk,
        };

        var updated = await new BackfillRunner(connection, new HistoryStore("stepwise"), new BackfillOptions { InitialBatchSize = 500, MinBatchSize = 500, MaxBatchSize = 500 },
            NullLogger.Instance).RunAsync(3, 1, spec, CancellationToken.None);

        Assert.Equal(3_000, updated);
        Assert.Equal("off off public.runs", await ws.ScalarAsync<string>("SELECT string_agg(DISTINCT seen, ' | ') FROM runs"));
        // Nothing stays on the session (a transaction-mode pooler would hand it to another client).
        await using var show = new NpgsqlCommand($"SELECT concat_ws(' ', current_setting('jit'), current_setting('synchronous_commit'), nullif(current_setting('{BackfillSpec.FillingSetting}', true), ''))", connection);
        Assert.Equal("on on", (string?)await show.ExecuteScalarAsync());
    }

    /// <summary>Three copies of a 40,000-row table without a key, autovacuum off on them (so only the backfill vacuums): their heap pages now.</summary>
    private static async Task<long> VacuumTablesAsync(MigrationWorkspace ws)
    {
        await ws.ExecuteAsync("""
            CREATE TABLE logs (line text, upper_line text) WITH (autovacuum_enabled = false);
            INSERT INTO logs (line) SELECT 'line ' || g FROM generate_series(1, 40000) g;
            CREATE TABLE logs_copy (LIKE logs) WITH (autovacuum_enabled = false);
            INSERT INTO logs_copy SELECT * FROM logs;
            CREATE TABLE logs_open (LIKE logs) WITH (autovacuum_enabled = false);
            INSERT INTO logs_open SELECT * FROM logs;
            ANALYZE logs; ANALYZE logs_copy; ANALYZE logs_open;
            """);
        return await PagesAsync(ws, "logs");
    }

    private static Task<long> PagesAsync(MigrationWorkspace ws, string table) =>
        ws.ScalarAsync<long>($"SELECT pg_relation_size('{table}') / current_setting('block_size')::bigint");

    /// <summary><c>upper_line = upper(line)</c> as behind a fill trigger (the walk ends at the table's last page).</summary>
    private static BackfillSpec Filled(string table) => Spec(table, "upper_line", "upper(line)", "upper_line IS NULL") with { FilledByTrigger = true };

    private static BackfillOptions Vacuuming(bool vacuum) =>
        new() { InitialBatchSize = 500, MinBatchSize = 100, MaxBatchSize = 2_000, VacuumAsItGoes = vacuum, VacuumMinRows = 2_000, PassShares = [16] }; // one pass: no HOT room but the vacuum's

    [Fact]
    public async Task A_backfill_vacuums_behind_its_walk_so_that_its_table_does_not_double_as_a_bulk_update_doubles_it()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        var before = await VacuumTablesAsync(ws);
        var (log, openLog) = (new ListLogger(), new ListLogger());

        await using (var connection = new NpgsqlConnection(ws.ConnectionString))
        {
            await connection.OpenAsync();
            var history = new HistoryStore("stepwise");
            await history.EnsureAsync(connection, CancellationToken.None);
            Assert.Equal(40000, await new BackfillRunner(connection, history, Vacuuming(true), log).RunAsync(7, 1, Filled("logs"), CancellationToken.None));
            // No key and no fill trigger: the walk's last range stays open to rows inserted meanwhile, at the end of the
            // table, where a vacuum's freed room behind the walk would not leave them: no vacuum.
            Assert.Equal(40000, await new BackfillRunner(connection, history, Vacuuming(true), openLog).RunAsync(7, 3, Spec("logs_open", "upper_line", "upper(line)", "upper_line IS NULL"), CancellationToken.None));
        }
        Assert.Equal(40000, await RunAsync(ws, Filled("logs_copy"), Vacuuming(false), step: 2));

        // Every row got a new version: without vacuuming each went to a new page; with it, to the room the replaced ones left.
        var (vacuumed, notVacuumed, open) = (await PagesAsync(ws, "logs"), await PagesAsync(ws, "logs_copy"), await PagesAsync(ws, "logs_open"));
        Assert.True(notVacuumed >= before * 19 / 10, $"without vacuuming: {before} pages before, {notVacuumed} after");
        Assert.True(open >= before * 19 / 10, $"open end: {before} pages before, {open} after");
        Assert.True(vacuumed <= before * 13 / 10, $"vacuuming: {before} pages before, {vacuumed} after");
        Assert.DoesNotContain(openLog.Entries, e => e.Id == EventIds.BackfillVacuum);
        var vacuums = log.Entries.Count(e => e.Id == EventIds.BackfillVacuum);
        Assert.InRange(vacuums, 5, 19); // 2,000 rows apart at least (batches here hold about 1,850), none after the last batch
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM logs WHERE upper_line IS DISTINCT FROM upper(line)"));
    }

    [Fact]
    public async Task A_backfill_does_not_wait_to_vacuum_a_table_another_session_holds_and_does_not_try_one_its_role_may_not_vacuum()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        var before = await VacuumTablesAsync(ws);
        var role = $"not_owner_{Guid.NewGuid():N}"[..24];
        var history = new HistoryStore("stepwise");
        await using var connection = new NpgsqlConnection(ws.ConnectionString);
        await connection.OpenAsync();
        await history.EnsureAsync(connection, CancellationToken.None);
        await ws.ExecuteAsync($"""
            CREATE ROLE {role};
            GRANT USAGE ON SCHEMA stepwise TO {role};
            GRANT ALL ON ALL TABLES IN SCHEMA stepwise TO {role};
            GRANT SELECT, UPDATE ON logs_copy TO {role};
            """);
        await using var holder = new NpgsqlConnection(ws.ConnectionString);
        await holder.OpenAsync();
        await using (var hold = new NpgsqlCommand("BEGIN; LOCK TABLE logs IN SHARE UPDATE EXCLUSIVE MODE", holder))
        {
            await hold.ExecuteNonQueryAsync(); // as a running (auto)vacuum or CREATE INDEX CONCURRENTLY would
        }
        var (heldLog, notOwnerLog) = (new ListLogger(), new ListLogger());

        try
        {
            var held = new BackfillRunner(connection, history, Vacuuming(true), heldLog).RunAsync(7, 1, Filled("logs"), CancellationToken.None);
            Assert.Same(held, await Task.WhenAny(held, Task.Delay(TimeSpan.FromSeconds(60))));
            Assert.Equal(40000, await held);

            await using (var setRole = new NpgsqlCommand($"SET ROLE {role}", connection))
            {
                await setRole.ExecuteNonQueryAsync();
            }
            Assert.Equal(40000, await new BackfillRunner(connection, history, Vacuuming(true), notOwnerLog).RunAsync(7, 2, Filled("logs_copy"), CancellationToken.None));
        }
        finally
        {
            await connection.CloseAsync();
            await ws.ExecuteAsync($"DROP OWNED BY {role}; DROP ROLE {role}");
        }

        // The held table's vacuums were skipped, not waited for (and are no failure); the other table was never vacuumed.
        Assert.True(await PagesAsync(ws, "logs") >= before * 19 / 10);
        Assert.DoesNotContain(heldLog.Entries, e => e.Id == EventIds.BackfillVacuum && e.Message.Contains("failed", StringComparison.Ordinal));
        Assert.True(await PagesAsync(ws, "logs_copy") >= before * 19 / 10);
        Assert.DoesNotContain(notOwnerLog.Entries, e => e.Id == EventIds.BackfillVacuum);
    }

    [Fact]
    public async Task A_backfill_yielding_to_traffic_asks_for_client_latency_after_every_batch_and_still_finishes()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("""
            CREATE TABLE runs (id bigint PRIMARY KEY, workflow_id int NOT NULL, org int);
            INSERT INTO runs SELECT g, g % 50 FROM generate_series(1, 2000) g;
            """);
        var probes = 0;
        var batches = 0;
        var options = new BackfillOptions
        {
            InitialBatchSize = 200, MinBatchSize = 200, MaxBatchSize = 200, TargetClientLatency = TimeSpan.FromMilliseconds(50),
            MaxYieldPause = TimeSpan.FromMilliseconds(20),
            // Over the target for the first three batches: the backfill pauses, then goes on.
            ClientLatency = _ => ValueTask.FromResult(TimeSpan.FromMilliseconds(++probes <= 3 ? 500 : 1)),
            OnProgress = _ => batches++,
        };

        var total = await RunAsync(ws, Spec("runs", "org", "workflow_id * 10", "org IS NULL", new KeyColumn("id", "bigint")), options);

        Assert.Equal(2000, total);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS DISTINCT FROM workflow_id * 10"));
        Assert.Equal(batches - 1, probes); // after every batch but the last
    }
}
