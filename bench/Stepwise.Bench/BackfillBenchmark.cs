using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
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
    private sealed record Result(double BulkMs, double StepwiseMs, List<double> BatchMs, int LastBatchSize)
    {
        public double LongestBatchMs => BatchMs.Max();
    }

    public static async Task RunAsync()
    {
        var sizes = ReferenceData.Sizes("BENCH_BACKFILL_ROWS", 100_000, 1_000_000, 5_000_000);
        // BENCH_BACKFILL_MODES=keyset or pages runs one of the two.
        bool[] modes = Environment.GetEnvironmentVariable("BENCH_BACKFILL_MODES") switch
        {
            "keyset" => [true],
            "pages" => [false],
            _ => [true, false],
        };
        var options = new TempPostgresOptions();
        // TempPostgres keeps PostgreSQL's default shared_buffers (128 MB): smaller than a 5M-row table and its indexes.
        var sharedBuffers = Environment.GetEnvironmentVariable("BENCH_SHARED_BUFFERS");
        if (!string.IsNullOrEmpty(sharedBuffers))
        {
            options.Settings["shared_buffers"] = sharedBuffers;
        }
        await using var server = await TempPostgres.StartAsync(options);
        var loadBefore = BenchSupport.LoadAverage();
        var results = new List<(long Rows, string Mode, List<Result> Rounds)>();
        foreach (var rows in sizes)
        {
            // Noise on a shared machine is large; small sizes get three rounds (the order alternating), big ones one.
            var rounds = rows <= 1_000_000 ? 3 : 1;
            foreach (var primaryKey in modes)
            {
                var template = $"backfill_{(primaryKey ? "key" : "nokey")}_{rows}";
                await ReferenceData.CreateAsync(server, template, rows, organizationColumn: true, primaryKey);
                var mode = primaryKey ? "keyset (uuid primary key)" : "page ranges (no key)";
                var samples = new List<Result>();
                for (var round = 0; round < rounds; round++)
                {
                    double bulk, stepwise;
                    (List<double> Durations, int Last) batches;
                    if (round % 2 == 0)
                    {
                        bulk = await BulkAsync(server, template);
                        (stepwise, batches) = await StepwiseAsync(server, template, rows, primaryKey);
                    }
                    else
                    {
                        (stepwise, batches) = await StepwiseAsync(server, template, rows, primaryKey);
                        bulk = await BulkAsync(server, template);
                    }
                    var result = new Result(bulk, stepwise, batches.Durations, batches.Last);
                    samples.Add(result);
                    Console.Error.WriteLine($"{ReferenceData.Label(rows)} {mode} round {round + 1}: bulk {bulk:0} ms, Stepwise {stepwise:0} ms " +
                        $"({batches.Durations.Count} batches, median {BenchSupport.Median(batches.Durations):0} ms, longest {result.LongestBatchMs:0} ms, " +
                        $"{batches.Durations.Count(d => d > 250)} over 250 ms, last size {batches.Last}), ratio {bulk / stepwise:0.00}, load {BenchSupport.LoadAverage()}");
                }
                await ReferenceData.DropAsync(server, template);
                results.Add((rows, mode, samples));
            }
        }

        Console.WriteLine($"Backfill of workflow_runs.organization_id = {ReferenceData.OrganizationOf} ({ReferenceData.Workflows:N0} workflows), " +
            $"bulk UPDATE vs BackfillRunner (default options: target {new BackfillOptions().TargetBatchDuration.TotalMilliseconds:0} ms per batch), " +
            $"each on a fresh copy; PostgreSQL in {server.BinDirectory}, shared_buffers {(string.IsNullOrEmpty(sharedBuffers) ? "128MB (default)" : sharedBuffers)}; " +
            $"{BenchSupport.Machine()}; load average {loadBefore} before, {BenchSupport.LoadAverage()} after");
        Console.WriteLine();
        Console.WriteLine("| rows | batches by | rounds | bulk UPDATE ms | bulk rows/s | Stepwise ms | Stepwise rows/s | Stepwise / bulk speed | batch ms: median / p95 / longest | batches over 250 ms | batches | last batch size |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (rows, mode, rounds) in results)
        {
            var bulk = BenchSupport.Median(rounds.Select(r => r.BulkMs));
            var stepwise = BenchSupport.Median(rounds.Select(r => r.StepwiseMs));
            var median = rounds.OrderBy(r => r.StepwiseMs).ElementAt(rounds.Count / 2);
            var all = rounds.SelectMany(r => r.BatchMs).ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {ReferenceData.Label(rows)} | {mode} | {rounds.Count} | {bulk:0} | {rows / bulk * 1000:N0} | {stepwise:0} | {rows / stepwise * 1000:N0} | " +
                $"{bulk / stepwise:0.00} (rounds: {string.Join(", ", rounds.Select(r => (r.BulkMs / r.StepwiseMs).ToString("0.00", CultureInfo.InvariantCulture)))}) | " +
                $"{BenchSupport.Median(all):0} / {all.Order().ElementAt((int)Math.Ceiling(0.95 * all.Count) - 1):0} / {all.Max():0} | {all.Count(d => d > 250)} of {all.Count} | " +
                $"{median.BatchMs.Count} | {median.LastBatchSize:N0} |"));
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
    }

    private static async Task<double> BulkAsync(TempPostgres server, string template)
    {
        var connectionString = await ReferenceData.CopyAsync(server, template, "backfill_run");
        double ms;
        await using (var connection = await ReferenceData.OpenAsync(connectionString))
        {
            var clock = Stopwatch.StartNew();
            await ReferenceData.ExecuteAsync(connection, $"UPDATE workflow_runs SET organization_id = {ReferenceData.OrganizationOf}");
            ms = clock.Elapsed.TotalMilliseconds;
            await CheckFilledAsync(connection);
        }
        await ReferenceData.DropAsync(server, "backfill_run");
        return ms;
    }

    private static async Task<(double Ms, (List<double> Durations, int Last) Batches)> StepwiseAsync(TempPostgres server, string template, long rows, bool primaryKey)
    {
        var connectionString = await ReferenceData.CopyAsync(server, template, "backfill_run");
        double ms;
        var durations = new List<double>();
        var last = 0;
        await using (var connection = await ReferenceData.OpenAsync(connectionString))
        {
            var history = new HistoryStore("stepwise");
            await history.EnsureAsync(connection, CancellationToken.None);
            // A batch's time is from the end of the one before to its progress report: the statement, its commit and the
            // round trip, an upper bound of how long it held its row locks.
            var batchClock = new Stopwatch();
            var options = new BackfillOptions
            {
                OnProgress = p =>
                {
                    durations.Add(batchClock.Elapsed.TotalMilliseconds);
                    last = p.BatchSize;
                    batchClock.Restart();
                },
            };
            var spec = new BackfillSpec("public", "workflow_runs", [new BackfillSet("organization_id", ReferenceData.OrganizationOf)], "\"organization_id\" IS NULL",
                primaryKey ? [new KeyColumn("id", "uuid")] : []);
            var runner = new BackfillRunner(connection, history.Backfills, options, NullLogger.Instance);
            var clock = Stopwatch.StartNew();
            batchClock.Start();
            var updated = await runner.RunAsync(1, 1, spec, CancellationToken.None);
            ms = clock.Elapsed.TotalMilliseconds;
            if (updated != rows)
            {
                throw new InvalidOperationException($"the backfill updated {updated} rows of {rows}");
            }
            await CheckFilledAsync(connection);
        }
        await ReferenceData.DropAsync(server, "backfill_run");
        return (ms, (durations, last));
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
