using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Stepwise.Embedded;
using Stepwise.Execution;
using Stepwise.Execution.Backfill;
using Stepwise.Planning;

namespace Stepwise.Bench;

/// <summary>
/// Backfill throughput: one bulk <c>UPDATE workflow_runs SET organization_id = (subquery)</c> over the whole
/// table against <see cref="BackfillRunner"/> with its default options, each on a fresh file-level copy of the
/// same table; keyset batches on a random-UUID primary key, and page (ctid) ranges on the same table without a key.
/// </summary>
internal static class BackfillBenchmark
{
    private enum Walk { Heap, Keyset, Pages }

    private static string Label(Walk walk) => walk switch
    {
        Walk.Heap => "heap order (uuid key, fill trigger)",
        Walk.Keyset => "keyset (uuid key, no fill trigger)",
        _ => "page ranges (no key, fill trigger)",
    };

    /// <param name="BulkPages">The table's heap pages after the bulk UPDATE.</param>
    /// <param name="BulkReads">The buffers the bulk UPDATE read from the OS (not found in shared_buffers): the table's heap and its indexes.</param>
    /// <param name="Stepwise">The backfill's run.</param>
    private sealed record Result(double BulkMs, long BulkPages, Reads BulkReads, Run Stepwise)
    {
        public double StepwiseMs => Stepwise.Ms;
        public List<double> BatchMs => Stepwise.Batches;
        public int LastBatchSize => Stepwise.LastSize;
        public double LongestBatchMs => BatchMs.Max();
    }

    /// <summary>One backfill: its time, its batches' times, the last batch size, the table's pages after, the vacuums it ran behind its walk (how many, their time), the batches cancelled at their bound (and retried), and the buffers it read from the OS.</summary>
    private sealed record Run(double Ms, List<double> Batches, int LastSize, long Pages, int Vacuums, double VacuumMs, int Cancelled, Reads Reads);

    /// <summary>Buffers of workflow_runs read from the OS, not found in shared_buffers (<c>pg_statio_user_tables</c>): its heap's and its indexes'.</summary>
    private sealed record Reads(long Heap, long Indexes)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Indexes:N0} ({Heap:N0})");
    }

    /// <summary>BENCH_BACKFILL_VACUUM=off: the backfill does not vacuum behind its walk (<see cref="BackfillOptions.VacuumAsItGoes"/>), to compare.</summary>
    private static bool Vacuuming => Environment.GetEnvironmentVariable("BENCH_BACKFILL_VACUUM") != "off";

    /// <summary>BENCH_BACKFILL_PASSES=5,3,3,2,2,1: a heap walk's pass shares (<see cref="BackfillOptions.PassShares"/>, modulo their sum), to compare.</summary>
    private static int[]? PassShares => Environment.GetEnvironmentVariable("BENCH_BACKFILL_PASSES") is { Length: > 0 } shares
        ? [.. shares.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))]
        : null;

    /// <summary>BENCH_BACKFILL_VACUUMS=20: the most vacuums behind one walk of the table (<see cref="BackfillOptions.VacuumsPerWalk"/>), to compare.</summary>
    private static int? VacuumsPerWalk => int.TryParse(Environment.GetEnvironmentVariable("BENCH_BACKFILL_VACUUMS"), CultureInfo.InvariantCulture, out var vacuums) ? vacuums : null;

    /// <summary>The backfill's options with the knobs above (BENCH_BACKFILL_VACUUM, _PASSES, _VACUUMS) applied, for every backfill of a run.</summary>
    private static BackfillOptions WithKnobs(BackfillOptions options)
    {
        options.VacuumAsItGoes = Vacuuming;
        if (PassShares is { } shares)
        {
            options.PassShares = shares;
        }
        if (VacuumsPerWalk is { } vacuums)
        {
            options.VacuumsPerWalk = vacuums;
        }
        return options;
    }

    /// <summary>The knobs set that change the backfill's options, for the run's heading ("" when none is).</summary>
    private static string Knobs => string.Join(", ", new[]
    {
        PassShares is { } shares ? $"pass shares {string.Join(",", shares)}" : null,
        VacuumsPerWalk is { } vacuums ? $"at most {vacuums} vacuums" : null,
    }.OfType<string>());

    /// <summary>BENCH_BACKFILL_BULK=off: no bulk UPDATE (its ratio columns are empty), for quicker experiments on the backfill alone.</summary>
    private static bool Bulk => Environment.GetEnvironmentVariable("BENCH_BACKFILL_BULK") != "off";

    public static async Task RunAsync()
    {
        var sizes = ReferenceData.Sizes("BENCH_BACKFILL_ROWS", 100_000, 1_000_000, 5_000_000);
        // BENCH_BACKFILL_MODES: a comma-separated choice of heap (uuid key, heap order behind a fill trigger, as add_column
        // plans it), keyset (uuid key, no fill trigger: the key is walked) and pages (no key); default all three.
        var modes = (Environment.GetEnvironmentVariable("BENCH_BACKFILL_MODES") is { Length: > 0 } chosen ? chosen : "heap,keyset,pages")
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(m => m switch
            {
                "heap" => Walk.Heap,
                "keyset" => Walk.Keyset,
                "pages" => Walk.Pages,
                _ => throw new ArgumentException($"BENCH_BACKFILL_MODES: '{m}' is not heap, keyset or pages"),
            }).Distinct().Order().ToList();
        var options = new TempPostgresOptions();
        // TempPostgres keeps PostgreSQL's default shared_buffers (128 MB): smaller than a 5M-row table and its indexes.
        var sharedBuffers = Environment.GetEnvironmentVariable("BENCH_SHARED_BUFFERS");
        if (!string.IsNullOrEmpty(sharedBuffers))
        {
            options.Settings["shared_buffers"] = sharedBuffers;
        }
        if (Traced)
        {
            BatchTrace.Configure(options.Settings);
        }
        await using var server = await TempPostgres.StartAsync(options);
        var loadBefore = BenchSupport.LoadAverage();
        var results = new List<(long Rows, string Mode, List<Result> Rounds)>();
        foreach (var rows in sizes)
        {
            // Noise on this machine is large (one 5M walk took 42-62 s with the same build and settings): every size gets
            // three rounds (the order alternating) and the tables show medians.
            var rounds = int.TryParse(Environment.GetEnvironmentVariable("BENCH_BACKFILL_ROUNDS"), out var chosenRounds) ? chosenRounds : 3;
            foreach (var walk in modes)
            {
                var primaryKey = walk != Walk.Pages;
                var template = $"backfill_{(primaryKey ? "key" : "nokey")}_{rows}";
                if (walk != Walk.Keyset || !modes.Contains(Walk.Heap))
                {
                    await ReferenceData.CreateAsync(server, template, rows, organizationColumn: true, primaryKey);
                }
                var mode = Label(walk);
                var samples = new List<Result>();
                for (var round = 0; round < rounds; round++)
                {
                    (double Ms, long Pages, Reads Reads) bulk;
                    Run stepwise;
                    if (round % 2 == 0)
                    {
                        bulk = await BulkAsync(server, template);
                        stepwise = await StepwiseAsync(server, template, rows, walk);
                    }
                    else
                    {
                        stepwise = await StepwiseAsync(server, template, rows, walk);
                        bulk = await BulkAsync(server, template);
                    }
                    var result = new Result(bulk.Ms, bulk.Pages, bulk.Reads, stepwise);
                    samples.Add(result);
                    Console.Error.WriteLine($"{ReferenceData.Label(rows)} {mode} round {round + 1}: bulk {bulk.Ms:0} ms, Stepwise {stepwise.Ms:0} ms " +
                        $"({stepwise.Batches.Count} batches taking {stepwise.Batches.Sum():0} ms, median {BenchSupport.Median(stepwise.Batches):0} ms, longest {result.LongestBatchMs:0} ms, " +
                        $"{stepwise.Batches.Count(d => d > 250)} over 250 ms, {stepwise.Cancelled} cancelled at the bound, last size {stepwise.LastSize}; {stepwise.Vacuums} vacuums, {stepwise.VacuumMs:0} ms), " +
                        $"ratio {bulk.Ms / stepwise.Ms:0.00}, table after: bulk {bulk.Pages:N0} pages, Stepwise {stepwise.Pages:N0}, buffers read, indexes (heap): bulk {bulk.Reads}, Stepwise {stepwise.Reads}, load {BenchSupport.LoadAverage()}");
                }
                if (walk != Walk.Heap || !modes.Contains(Walk.Keyset))
                {
                    await ReferenceData.DropAsync(server, template);
                }
                results.Add((rows, mode, samples));
            }
        }

        Console.WriteLine($"Backfill of workflow_runs.organization_id = {ReferenceData.OrganizationOf} ({ReferenceData.Workflows:N0} workflows), " +
            $"bulk UPDATE vs BackfillRunner ({(Knobs.Length == 0 ? "default options" : Knobs)}: target {new BackfillOptions().TargetBatchDuration.TotalMilliseconds:0} ms per batch), " +
            $"{(Vacuuming ? "vacuuming behind its walk" : "not vacuuming (BENCH_BACKFILL_VACUUM=off)")}, each on a fresh copy; PostgreSQL in {server.BinDirectory}, shared_buffers {(string.IsNullOrEmpty(sharedBuffers) ? "128MB (default)" : sharedBuffers)}; " +
            $"{BenchSupport.Machine()}; load average {loadBefore} before, {BenchSupport.LoadAverage()} after");
        Console.WriteLine();
        Console.WriteLine("| rows | batches by | rounds | bulk UPDATE ms | bulk rows/s | Stepwise ms | Stepwise rows/s | Stepwise / bulk speed | batch ms: median / p95 / longest | batches over 250 ms (cancelled at the bound) | batches | last batch size | vacuums (ms) | table pages after: bulk / Stepwise | buffers read from the OS, indexes (heap): bulk / Stepwise |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (rows, mode, rounds) in results)
        {
            var bulk = BenchSupport.Median(rounds.Select(r => r.BulkMs));
            var stepwise = BenchSupport.Median(rounds.Select(r => r.StepwiseMs));
            var median = rounds.OrderBy(r => r.StepwiseMs).ElementAt(rounds.Count / 2);
            var all = rounds.SelectMany(r => r.BatchMs).ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {ReferenceData.Label(rows)} | {mode} | {rounds.Count} | {bulk:0} | {rows / bulk * 1000:N0} | {stepwise:0} | {rows / stepwise * 1000:N0} | " +
                $"{bulk / stepwise:0.00} (rounds: {string.Join(", ", rounds.Select(r => (r.BulkMs / r.StepwiseMs).ToString("0.00", CultureInfo.InvariantCulture)))}) | " +
                $"{BenchSupport.Median(all):0} / {all.Order().ElementAt((int)Math.Ceiling(0.95 * all.Count) - 1):0} / {all.Max():0} | {all.Count(d => d > 250)} of {all.Count} ({rounds.Sum(r => r.Stepwise.Cancelled)}) | " +
                $"{median.BatchMs.Count} | {median.LastBatchSize:N0} | {median.Stepwise.Vacuums} ({median.Stepwise.VacuumMs:0}) | {median.BulkPages:N0} / {median.Stepwise.Pages:N0} | {median.BulkReads} / {median.Stepwise.Reads} |"));
        }
        Console.WriteLine();
        foreach (var mode in results.Select(r => r.Mode).Distinct())
        {
            var of = results.Where(r => r.Mode == mode).ToList();
            if (of.Count > 1)
            {
                var rate = (long rows, List<Result> rounds) => rows / BenchSupport.Median(rounds.Select(r => r.StepwiseMs));
                Console.WriteLine($"{mode}: Stepwise rows/s at {ReferenceData.Label(of[^1].Rows)} / at {ReferenceData.Label(of[0].Rows)}: " +
                    $"{rate(of[^1].Rows, of[^1].Rounds) / rate(of[0].Rows, of[0].Rounds):0.00}");
            }
        }
        await InsertLoadAsync(server);
    }

    /// <summary>
    /// The backfill (heap order, behind a real fill trigger, as add_column plans it, limited to an eighth of its quiet rate)
    /// while 4 clients insert rows at twice the rows per second the backfill reaches meanwhile: it must still finish,
    /// updating the rows that were there at its start. BENCH_BACKFILL_LOAD_ROWS sets the table (default 1M; 0 skips this part).
    /// </summary>
    private static async Task InsertLoadAsync(TempPostgres server)
    {
        var rows = ReferenceData.Sizes("BENCH_BACKFILL_LOAD_ROWS", 1_000_000)[0];
        if (rows == 0)
        {
            return;
        }
        var template = $"backfill_load_{rows}";
        await ReferenceData.CreateAsync(server, template, rows, organizationColumn: true, primaryKey: true);
        var quietMs = (await StepwiseAsync(server, template, rows, Walk.Heap)).Ms;
        var quietRate = rows / quietMs * 1000;
        var connectionString = await ReferenceData.CopyAsync(server, template, "backfill_run");
        await using (var connection = await ReferenceData.OpenAsync(connectionString))
        {
            await ReferenceData.ExecuteAsync(connection, $"""
                CREATE FUNCTION fill_organization() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN NEW.organization_id := (SELECT w.organization_id FROM workflows w WHERE w.id = NEW.workflow_id); RETURN NEW; END $$;
                CREATE TRIGGER fill_organization BEFORE INSERT OR UPDATE ON workflow_runs FOR EACH ROW WHEN (NEW.organization_id IS NULL) EXECUTE FUNCTION fill_organization();
                """);
            var history = new HistoryStore("stepwise");
            await history.EnsureAsync(connection, CancellationToken.None);
            // Each client inserts 100 rows at a time, spaced so that the four together insert twice the rows per second
            // the backfill reaches while they run (its running rate, from its progress; twice its limit before its
            // first batch). The backfill slows down under the load, and the clients with it: the ratio stays 2. The
            // backfill is held to an eighth of its quiet rate (--backfill-rate, as an operator sharing the server would
            // set it): flat out, backfill and clients compete for the same two cores and the clients cannot reach 2x
            // (held to a sixth, they reached 1.88-2.01x).
            var limit = (int)(quietRate / 8);
            // Aimed a little above 2x: the clients' pacing falls a few percent short of its aim (1.97x aiming at 2x).
            const double aim = 2.1;
            var target = aim * limit;
            using var stop = new CancellationTokenSource();
            long inserted = 0;
            var clients = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                await using var client = await ReferenceData.OpenAsync(connectionString, "bench-insert");
                while (!stop.IsCancellationRequested)
                {
                    var clock = Stopwatch.StartNew();
                    await ReferenceData.ExecuteAsync(client, $"INSERT INTO workflow_runs (workflow_id) SELECT 1 + (random() * {ReferenceData.Workflows - 1})::int FROM generate_series(1, 100)");
                    Interlocked.Add(ref inserted, 100);
                    var ahead = TimeSpan.FromSeconds(100 / (Volatile.Read(ref target) / 4)) - clock.Elapsed;
                    if (ahead > TimeSpan.Zero)
                    {
                        await Task.Delay(ahead);
                    }
                }
            })).ToList();
            await Task.Delay(TimeSpan.FromSeconds(2));
            var before = Interlocked.Read(ref inserted);
            var options = WithKnobs(new BackfillOptions
            {
                MaxRowsPerSecond = limit,
                OnProgress = p =>
                {
                    if (p.Waiting is null && p.RowsPerSecond > 0)
                    {
                        // Where the clients have fallen short of their aim so far (their pacing, the machine), they
                        // aim higher, by up to half.
                        var reached = (Interlocked.Read(ref inserted) - before) / (double)Math.Max(1, p.RowsDone);
                        var boost = reached > 0 && reached < aim ? Math.Min(1.5, aim / reached) : 1.0;
                        Volatile.Write(ref target, aim * p.RowsPerSecond * boost);
                    }
                },
            });
            var runner = new BackfillRunner(connection, history, options, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            var backfillClock = Stopwatch.StartNew();
            var updated = await runner.RunAsync(1, 1, Spec(Walk.Heap), CancellationToken.None);
            var ms = backfillClock.Elapsed.TotalMilliseconds;
            var during = Interlocked.Read(ref inserted) - before;
            await stop.CancelAsync();
            await Task.WhenAll(clients);
            await CheckFilledAsync(connection);
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Under insert load ({ReferenceData.Label(rows)} rows, heap order, fill trigger, limited to {limit:N0} rows/s, an eighth of its quiet rate {quietRate:N0} rows/s; 4 clients aiming at {aim}x its running rate): " +
                $"the backfill finished in {ms / 1000:0.0} s, {updated:N0} rows ({updated / ms * 1000:N0} rows/s) while {during:N0} rows were inserted " +
                $"({during / ms * 1000:N0} rows/s, {during / ms * 1000 / (updated / ms * 1000):0.00}x the backfill's rate during the run); load average {BenchSupport.LoadAverage()}"));
        }
        await ReferenceData.DropAsync(server, "backfill_run");
        await ReferenceData.DropAsync(server, template);
    }

    /// <summary>BENCH_BACKFILL_TRACE=1: what the server did in each batch, and what each statement cost it (<see cref="BatchTrace"/>).</summary>
    private static bool Traced => Environment.GetEnvironmentVariable("BENCH_BACKFILL_TRACE") == "1";

    private static async Task<(double Ms, long Pages, Reads Reads)> BulkAsync(TempPostgres server, string template)
    {
        if (!Bulk)
        {
            return (double.NaN, 0, new Reads(0, 0));
        }
        var connectionString = await ReferenceData.CopyAsync(server, template, "backfill_run");
        double ms;
        long pages;
        Reads reads;
        await using (var connection = await ReferenceData.OpenAsync(connectionString))
        await using (var trace = Traced ? await BatchTrace.StartAsync(connectionString) : null)
        {
            var clock = Stopwatch.StartNew();
            await ReferenceData.ExecuteAsync(connection, $"UPDATE workflow_runs SET organization_id = {ReferenceData.OrganizationOf}");
            ms = clock.Elapsed.TotalMilliseconds;
            reads = await ReadsAsync(connection);
            await CheckFilledAsync(connection);
            pages = await PagesAsync(connection);
        }
        await ReferenceData.DropAsync(server, "backfill_run");
        return (ms, pages, reads);
    }

    /// <summary>
    /// The buffers of workflow_runs read from the OS so far in this fresh copy (statistics start empty in a new database):
    /// read before the check of every row, which reads the whole table. The session's own counts reach the shared
    /// statistics when it goes idle, at most once a second unless forced, so the flush is forced first (PostgreSQL 15);
    /// the vacuums' parallel workers flushed theirs when they exited.
    /// </summary>
    private static async Task<Reads> ReadsAsync(Npgsql.NpgsqlConnection connection)
    {
        await ReferenceData.ExecuteAsync(connection, "SELECT pg_stat_force_next_flush()");
        await using var command = new Npgsql.NpgsqlCommand("SELECT coalesce(heap_blks_read, 0), coalesce(idx_blks_read, 0) FROM pg_statio_user_tables WHERE relname = 'workflow_runs'", connection);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? new Reads(reader.GetInt64(0), reader.GetInt64(1)) : new Reads(0, 0);
    }

    private static Task<long> PagesAsync(Npgsql.NpgsqlConnection connection) =>
        ReferenceData.ScalarAsync<long>(connection, "SELECT pg_relation_size('workflow_runs') / current_setting('block_size')::bigint");

    private static BackfillSpec Spec(Walk walk) =>
        new("public", "workflow_runs", [new BackfillSet("organization_id", ReferenceData.OrganizationOf)], "\"organization_id\" IS NULL",
            walk == Walk.Pages ? [] : [new KeyColumn("id", "uuid")], FilledByTrigger: walk != Walk.Keyset); // as add_column plans them

    private static async Task<Run> StepwiseAsync(TempPostgres server, string template, long rows, Walk walk)
    {
        var connectionString = await ReferenceData.CopyAsync(server, template, "backfill_run");
        double ms;
        long pages;
        Reads reads;
        var durations = new List<double>();
        var last = 0;
        var log = new RunLog();
        await using (var connection = await ReferenceData.OpenAsync(connectionString))
        await using (var trace = Traced ? await BatchTrace.StartAsync(connectionString) : null)
        {
            var history = new HistoryStore("stepwise");
            await history.EnsureAsync(connection, CancellationToken.None);
            // A batch's time is the runner's own measure of its statement: the update, its checkpoint, the commit and
            // the round trip, how long it held its row locks (the pacer's look at the database between batches, and the
            // set-up before the first, are not in it).
            var options = WithKnobs(new BackfillOptions
            {
                OnProgress = p =>
                {
                    if (p.Waiting is not null)
                    {
                        return;
                    }
                    durations.Add(p.LastBatch.TotalMilliseconds);
                    last = p.BatchSize;
                    trace?.Batch(p.LastBatch.TotalMilliseconds, p);
                },
            });
            var runner = new BackfillRunner(connection, history, options, log);
            var clock = Stopwatch.StartNew();
            var updated = await runner.RunAsync(1, 1, Spec(walk), CancellationToken.None);
            ms = clock.Elapsed.TotalMilliseconds;
            if (updated != rows)
            {
                throw new InvalidOperationException($"the backfill updated {updated} rows of {rows}");
            }
            reads = await ReadsAsync(connection);
            await CheckFilledAsync(connection);
            pages = await PagesAsync(connection);
        }
        await ReferenceData.DropAsync(server, "backfill_run");
        return new Run(ms, durations, last, pages, log.Vacuums, log.VacuumMs, log.Cancelled, reads);
    }

    /// <summary>The runner's log, of which only its vacuums (how many, and their time: the <c>Ms</c> of each line) and its batches cancelled at their bound are kept.</summary>
    private sealed class RunLog : ILogger
    {
        public int Vacuums { get; private set; }

        public double VacuumMs { get; private set; }

        public int Cancelled { get; private set; }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == EventIds.BackfillVacuum.Id && logLevel == LogLevel.Debug && state is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                Vacuums++;
                VacuumMs += Convert.ToDouble(values.First(v => v.Key == "Ms").Value, CultureInfo.InvariantCulture);
            }
            Cancelled += eventId.Id == EventIds.BackfillBatchCancelled.Id ? 1 : 0;
        }
    }

    /// <summary>A run only counts if every row holds the right value.</summary>
    private static async Task CheckFilledAsync(Npgsql.NpgsqlConnection connection)
    {
        var wrong = await ReferenceData.ScalarAsync<long>(connection,
            "SELECT count(*) FROM workflow_runs r LEFT JOIN workflows w ON w.id = r.workflow_id WHERE r.organization_id IS DISTINCT FROM w.organization_id");
        if (wrong != 0)
        {
            throw new InvalidOperationException($"{wrong} rows have no or the wrong organization_id");
        }
    }
}
