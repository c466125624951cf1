using System.Globalization;
using Npgsql;
using Stepwise.Embedded;
using Stepwise.Execution;
using Stepwise.Execution.Backfill;
using Stepwise.Execution.Locking;

namespace Stepwise.Bench;

/// <summary>
/// How each lock-acquisition policy gets the reference migration's locks under three workloads of old-version
/// clients: fast indexed reads, slow org-scoped join reads (hundreds of ms), and fast reads with a slow autovacuum of
/// workflow_runs running when the migration starts. Per cell: did the migration complete, failed client transactions,
/// client p99 against the baseline's, and the longest time without a completed client transaction against
/// max(100 ms, 1.5 × the longest baseline transaction).
/// </summary>
internal static class LockPolicyBenchmark
{
    private sealed record Workload(string Name, LoadGenerator.Reads Reads, bool Autovacuum);

    /// <summary>The index the fast reads use; the slow workload's copy goes without it, so an organization's list reads the whole table.</summary>
    private const string WorkflowIndex = "workflow_runs_workflow_created_idx";

    private sealed record Cell(string Workload, string Policy, string Completed, int Failed, double BaseP99, double P99, double Gap, double Goal, double Seconds, int Retries, string Load);

    public static async Task RunAsync()
    {
        var runs = ReferenceData.Sizes("BENCH_LOCKS_ROWS", 1_000_000)[0];
        var clients = 4;
        var baseline = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("BENCH_LOCKS_BASELINE_S") ?? "6", CultureInfo.InvariantCulture));
        // Policies that would retry forever (or for minutes) are stopped here: enough to see they do not get through.
        var cap = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("BENCH_LOCKS_CAP_S") ?? "60", CultureInfo.InvariantCulture));
        // On two CPUs an unyielding backfill takes one of them from the clients, which no lock policy changes.
        // BENCH_LOCKS_BACKFILL=yielding makes every cell's backfill yield to the clients' p99 (target 1.5× the baseline's,
        // pauses up to 1 s), so the p99 column shows the waits the policies cause rather than the backfill's CPU share.
        var yielding = Environment.GetEnvironmentVariable("BENCH_LOCKS_BACKFILL") is "yielding";
        Workload[] workloads =
        [
            new("fast indexed reads", LoadGenerator.Reads.FastIndexed, false),
            new("slow org-scoped latest runs (no usable index)", LoadGenerator.Reads.SlowOrganizationLatest, false),
            new("fast reads + autovacuum running", LoadGenerator.Reads.FastIndexed, true),
        ];
        (string Name, LockPolicy Policy)[] policies =
        [
            ("previous (50 ms, 40 retries)", new LockPolicy { FirstTimeout = TimeSpan.FromMilliseconds(50), MaxLockWait = TimeSpan.FromMilliseconds(50), MaxRetries = 40, LookFirst = false, Deadline = cap }),
            ("pgroll-like (500 ms, unlimited)", new LockPolicy { FirstTimeout = TimeSpan.FromMilliseconds(500), MaxLockWait = TimeSpan.FromMilliseconds(500), LookFirst = false, RetryMaxDelay = TimeSpan.FromSeconds(1), Deadline = cap }),
            ("new (50 ms → ≤ 1 s, looks first)", new LockPolicy { Deadline = cap }),
        ];
        // BENCH_LOCKS_ONLY=1 or 0,2: only those workloads (0 fast, 1 slow, 2 autovacuum); BENCH_LOCKS_POLICIES likewise (0 previous, 1 pgroll-like, 2 new).
        workloads = Only("BENCH_LOCKS_ONLY", workloads);
        policies = Only("BENCH_LOCKS_POLICIES", policies);
        var scratch = BenchSupport.CreateScratch("locks");
        var cells = new List<Cell>();
        try
        {
            var directory = Directory.CreateDirectory(Path.Combine(scratch.FullName, "migrations")).FullName;
            File.WriteAllText(Path.Combine(directory, "1_organization_id.sql"), "-- stepwise:up\nSELECT 1;\n");
            var serverOptions = new TempPostgresOptions();
            serverOptions.Settings["autovacuum_naptime"] = "1s";
            await using var server = await TempPostgres.StartAsync(serverOptions);
            await ReferenceData.CreateAsync(server, "locks_template", runs, organizationColumn: false, primaryKey: true);
            foreach (var workload in workloads)
            {
                foreach (var (policyName, policy) in policies)
                {
                    cells.Add(await RunCellAsync(server, directory, workload, policyName, policy, clients, baseline, yielding));
                    var c = cells[^1];
                    Console.Error.WriteLine($"{c.Workload} / {c.Policy}: {c.Completed}, failed {c.Failed}, p99 {c.BaseP99:0.0} → {c.P99:0.0} ms, gap {c.Gap:0} ms (goal {c.Goal:0}), {c.Seconds:0.0} s, load {c.Load}");
                }
            }
            Console.WriteLine($"Lock policies under load: {ReferenceData.Label(runs)} runs, {clients} old-version clients (alternating an insert and a read, 2 ms think time), " +
                $"{baseline.TotalSeconds:0} s baseline, start + complete of the reference migration, backfill {(yielding ? "yielding to client p99 (target 1.5× baseline)" : "flat out")}; cap {cap.TotalSeconds:0} s; {BenchSupport.Machine()}");
            Console.WriteLine();
            Console.WriteLine("| workload | policy | completed | failed client tx | p99 ms base → during (×, goal ≤ 2×) | longest gap ms (goal) | took s | lock retries | load avg |");
            Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---|");
            foreach (var c in cells)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {c.Workload} | {c.Policy} | {c.Completed} | {c.Failed} | {c.BaseP99:0.0} → {c.P99:0.0} ({c.P99 / c.BaseP99:0.00}×) | {c.Gap:0} ({(c.Gap <= c.Goal ? "≤" : ">")} {c.Goal:0}) | {c.Seconds:0.0} | {c.Retries} | {c.Load} |"));
            }
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static BackfillOptions Yielding(LoadGenerator load, TimeSpan baseline)
    {
        var options = LoadBenchmark.YieldingOptions(load, baseline);
        options.MaxYieldPause = TimeSpan.FromSeconds(1); // a cell must end even when the target cannot be met
        return options;
    }

    private static T[] Only<T>(string variable, T[] all) => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } only
        ? [.. only.Split(',', StringSplitOptions.TrimEntries).Select(i => all[int.Parse(i, CultureInfo.InvariantCulture)])]
        : all;

    private static async Task<Cell> RunCellAsync(TempPostgres server, string directory, Workload workload, string policyName, LockPolicy policy, int clients, TimeSpan baseline, bool yielding)
    {
        var connectionString = await ReferenceData.CopyAsync(server, "locks_template", "locks_run");
        if (workload.Reads == LoadGenerator.Reads.SlowOrganizationLatest)
        {
            await using var connection = await ReferenceData.OpenAsync(connectionString);
            await ReferenceData.ExecuteAsync(connection, $"DROP INDEX {WorkflowIndex}");
        }
        if (workload.Autovacuum)
        {
            await using var connection = await ReferenceData.OpenAsync(connectionString);
            // Dead tuples all over the table and a vacuum that naps 100 ms every few pages: it runs for many minutes.
            await ReferenceData.ExecuteAsync(connection, """
                ALTER TABLE workflow_runs SET (autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 10,
                    autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0, autovacuum_analyze_threshold = 2000000000);
                UPDATE workflow_runs SET state = state WHERE random() < 0.02;
                """);
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!await ReferenceData.ScalarAsync<bool>(connection, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND query LIKE '%workflow_runs%')"))
            {
                if (waited.Elapsed > TimeSpan.FromSeconds(90))
                {
                    throw new BenchSetupException("no autovacuum of workflow_runs started within 90 s");
                }
                await Task.Delay(200);
            }
        }
        var load = await LoadGenerator.CreateAsync(connectionString, clients, TimeSpan.FromMilliseconds(2), workload.Reads);
        load.Start();
        await Task.Delay(baseline);
        var start = load.Now;
        var timeline = new LoadBenchmark.Timeline(load);
        string completed;
        try
        {
            await LoadBenchmark.StepwiseAsync(connectionString, load, directory, timeline, yielding ? Yielding(load, baseline) : new BackfillOptions(), policy: policy);
            completed = "yes";
        }
        catch (MigrationFailedException ex)
        {
            // The old version keeps running: nothing was deployed.
            completed = $"no: gave up after {(load.Now - start) / 1000:0} s ({(ex.InnerException is LockDeadlineException ? "cap or retries" : ex.SqlState)})";
        }
        var end = load.Now;
        await Task.Delay(TimeSpan.FromSeconds(1));
        var transactions = await load.StopAsync();
        if (completed == "yes")
        {
            await LoadBenchmark.CheckMigratedAsync(connectionString);
        }
        NpgsqlConnection.ClearAllPools();
        await ReferenceData.DropAsync(server, "locks_run");
        var outcome = LoadBenchmark.Summarize(policyName, transactions, baseline.TotalMilliseconds, start, end, timeline.Marks);
        var warm = Math.Min(1000, baseline.TotalMilliseconds / 4);
        var longestBaseline = transactions.Where(t => t.Start >= warm && t.End < start && t.Error is null).Select(t => t.End - t.Start).DefaultIfEmpty(0).Max();
        var retries = timeline.Marks.Count(m => m.Step.Contains("waited lock_timeout", StringComparison.Ordinal));
        return new Cell(workload.Name, policyName, completed, outcome.Errors.Values.Sum(), outcome.Baseline.P99, outcome.During.P99, outcome.LongestGapMs,
            Math.Max(100, 1.5 * longestBaseline), outcome.MigrationMs / 1000, retries, BenchSupport.LoadAverage());
    }
}
