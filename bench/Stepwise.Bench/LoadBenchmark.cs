using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;
using Stepwise.Catalog;
using Stepwise.Embedded;
using Stepwise.Execution;
using Stepwise.Execution.Backfill;
using Stepwise.Migrations;
using Stepwise.Operations;
using Stepwise.Planning;

namespace Stepwise.Bench;

/// <summary>
/// The reference scenario under application load: the same migration (workflow_runs.organization_id NOT NULL
/// REFERENCES organizations, filled from workflows, and an index on it) done naively in one transaction, by
/// an expert's hand-staged script, and by Stepwise's plan runner, each on a fresh copy of the same data while
/// <see cref="LoadGenerator"/> clients insert and read. Every client transaction's latency and error is
/// recorded; a baseline window without a migration comes first.
/// </summary>
internal static partial class LoadBenchmark
{
    private sealed record Contender(string Name, Func<string, LoadGenerator, string, Timeline, Task> MigrateAsync);

    /// <summary>When each step of a migration ended (on the load generator's clock), to tell which step traffic waited on.</summary>
    internal sealed class Timeline(LoadGenerator load) : ILogger
    {
        public List<(double At, string Step)> Marks { get; } = [];

        public void Mark(string step)
        {
            lock (Marks)
            {
                Marks.Add((load.Now, step));
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId == EventIds.StepDone || eventId == EventIds.LockTimeoutRetry)
            {
                var text = formatter(state, exception);
                Mark(text[(text.IndexOf(": ", StringComparison.Ordinal) + 2)..]);
            }
        }
    }

    internal sealed record Outcome(string Name, Stats Baseline, Stats During, double MigrationMs, double LongestGapMs, double SlowSeconds, Dictionary<string, int> Errors,
        long Backfilled, double BackfillMs, List<string> Steps);

    internal readonly record struct Stats(int Count, double P50, double P99, double Max, double PerSecond);

    // What a backfill reports, for the Stepwise contenders.
    private static long s_backfilled;
    private static double s_backfillMs;

    public static async Task RunAsync()
    {
        var runs = ReferenceData.Sizes("BENCH_LOAD_ROWS", 2_000_000)[0];
        var clients = int.Parse(Environment.GetEnvironmentVariable("BENCH_LOAD_CLIENTS") ?? "4", CultureInfo.InvariantCulture);
        var baseline = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("BENCH_LOAD_BASELINE_S") ?? "10", CultureInfo.InvariantCulture));
        var think = TimeSpan.FromMilliseconds(2);
        var after = TimeSpan.FromSeconds(2);
        var only = Environment.GetEnvironmentVariable("BENCH_LOAD_ONLY");

        Contender[] contenders =
        [
            new("naive: one transaction", NaiveAsync),
            new("expert: hand-staged, keyset 10,000 rows/batch", ExpertAsync),
            new("Stepwise: start + complete (defaults)", (cs, load, dir, timeline) => StepwiseAsync(cs, load, dir, timeline, new BackfillOptions())),
            new("Stepwise, backfill yielding (client p99 target 1.5× baseline)", (cs, load, dir, timeline) => StepwiseAsync(cs, load, dir, timeline, YieldingOptions(load, baseline))),
            new("Stepwise, lock_timeout 50 ms, backfill yielding", (cs, load, dir, timeline) => StepwiseAsync(cs, load, dir, timeline, YieldingOptions(load, baseline), TimeSpan.FromMilliseconds(50))),
        ];
        if (!string.IsNullOrEmpty(only))
        {
            contenders = only.Split(',').Select(i => contenders[int.Parse(i, CultureInfo.InvariantCulture)]).ToArray();
        }

        var scratch = BenchSupport.CreateScratch("load");
        try
        {
            var directory = Directory.CreateDirectory(Path.Combine(scratch.FullName, "migrations")).FullName;
            File.WriteAllText(Path.Combine(directory, "1_organization_id.sql"), "-- stepwise:up\nSELECT 1;\n");
            await using var server = await TempPostgres.StartAsync();
            await ReferenceData.CreateAsync(server, "load_template", runs, organizationColumn: false, primaryKey: true);
            var loads = new List<string> { BenchSupport.LoadAverage() };
            var outcomes = new List<Outcome>();
            foreach (var contender in contenders)
            {
                var connectionString = await ReferenceData.CopyAsync(server, "load_template", "load_run");
                var load = await LoadGenerator.CreateAsync(connectionString, clients, think);
                s_backfilled = 0;
                s_backfillMs = 0;
                load.Start();
                await Task.Delay(baseline);
                var start = load.Now;
                var timeline = new Timeline(load);
                await contender.MigrateAsync(connectionString, load, directory, timeline);
                var end = load.Now;
                await Task.Delay(after);
                var transactions = await load.StopAsync();
                await CheckMigratedAsync(connectionString);
                loads.Add(BenchSupport.LoadAverage());
                NpgsqlConnection.ClearAllPools();
                await ReferenceData.DropAsync(server, "load_run");
                var outcome = Summarize(contender.Name, transactions, baseline.TotalMilliseconds, start, end, timeline.Marks);
                outcomes.Add(outcome);
                Console.Error.WriteLine($"{contender.Name}: migration {outcome.MigrationMs / 1000:0.0} s, p99 {outcome.Baseline.P99:0.0} → {outcome.During.P99:0.0} ms, " +
                    $"gap {outcome.LongestGapMs:0} ms, errors {outcome.Errors.Values.Sum()}, load {BenchSupport.LoadAverage()}");
            }

            Console.WriteLine($"Reference scenario under load: {ReferenceData.Label(runs)} runs, {clients} clients (each alternating an insert and a read of an organization's " +
                $"20 latest runs, {think.TotalMilliseconds:0} ms think time), {baseline.TotalSeconds:0} s baseline, then the migration, then {after.TotalSeconds:0} s; " +
                $"PostgreSQL in {server.BinDirectory}; {BenchSupport.Machine()}; load average before and after each: {string.Join(", ", loads)}");
            Console.WriteLine();
            Console.WriteLine("| migration | took s | failed client tx | p50 ms base → during | p99 ms base → during | p99 × | max ms during | longest gap ms (base → during) | tx/s base → during | seconds under half baseline tx/s |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var o in outcomes)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {o.Name} | {o.MigrationMs / 1000:0.0} | {o.Errors.Values.Sum()} | {o.Baseline.P50:0.0} → {o.During.P50:0.0} | {o.Baseline.P99:0.0} → {o.During.P99:0.0} | " +
                    $"{o.During.P99 / o.Baseline.P99:0.00} | {o.During.Max:0} | {o.Baseline.Max:0} → {o.LongestGapMs:0} | {o.Baseline.PerSecond:0} → {o.During.PerSecond:0} | {o.SlowSeconds:0} |"));
            }
            Console.WriteLine();
            foreach (var o in outcomes)
            {
                foreach (var (error, count) in o.Errors)
                {
                    Console.WriteLine($"- {o.Name}: {count} × {error}");
                }
                if (o.Backfilled > 0)
                {
                    Console.WriteLine($"- {o.Name}: backfill {o.Backfilled:N0} rows in {o.BackfillMs / 1000:0.0} s, {o.Backfilled / o.BackfillMs * 1000:N0} rows/s");
                }
            }
            Console.WriteLine();
            foreach (var o in outcomes.Where(o => o.Steps.Count > 0))
            {
                Console.WriteLine($"{o.Name}, step by step (time, client p99 and longest transaction while it ran):");
                Console.WriteLine("```");
                o.Steps.ForEach(Console.WriteLine);
                Console.WriteLine("```");
            }
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The backfill yields to traffic: after each batch it reads the clients' p99 over the last second (what an
    /// application's metrics would give it) and pauses while that is above 1.5 times the baseline's p99.
    /// </summary>
    internal static BackfillOptions YieldingOptions(LoadGenerator load, TimeSpan baseline)
    {
        // The baseline's p99 without its first second (connections opening, code compiling), as the results are.
        var target = load.RecentP99(baseline - TimeSpan.FromSeconds(1)) * 1.5;
        Console.Error.WriteLine($"yielding backfill: target client p99 {target.TotalMilliseconds:0.0} ms");
        return new BackfillOptions
        {
            TargetClientLatency = target,
            ClientLatency = _ => ValueTask.FromResult(load.RecentP99(TimeSpan.FromSeconds(1))),
        };
    }

    /// <summary>
    /// Latency and throughput of the baseline window and of the migration (every transaction that overlapped it),
    /// the longest time without a completed transaction from the migration's start to its end, and the seconds
    /// of the migration in which fewer than half the baseline's transactions completed.
    /// </summary>
    internal static Outcome Summarize(string name, List<LoadGenerator.Transaction> transactions, double baselineMs, double start, double end, List<(double At, string Step)> marks)
    {
        // The first second of the baseline warms connections and caches.
        var warm = Math.Min(1000, baselineMs / 4);
        var before = transactions.Where(t => t.Start >= warm && t.End < start).ToList();
        var during = transactions.Where(t => t.End > start && t.Start < end).ToList();
        var baseline = Of(before, start - warm);
        var stats = Of(during, end - start);
        double gap = 0, last = start, gapAt = start;
        foreach (var t in transactions.Where(t => t.End > start && t.Error is null))
        {
            if (Math.Min(t.End, end) - last > gap)
            {
                (gap, gapAt) = (Math.Min(t.End, end) - last, last);
            }
            last = t.End;
            if (t.End >= end)
            {
                break;
            }
        }
        if (end - last > gap)
        {
            (gap, gapAt) = (end - last, last);
        }
        var slow = 0;
        for (var second = start; second + 1000 <= end; second += 1000)
        {
            var s = second;
            if (transactions.Count(t => t.End >= s && t.End < s + 1000 && t.Error is null) < baseline.PerSecond / 2)
            {
                slow++;
            }
        }
        var errors = transactions.Where(t => t.Error is not null)
            .GroupBy(t => $"{(t.NewVersion ? "new" : "old")}-version {(t.Insert ? "insert" : "read")}: {t.Error}")
            .ToDictionary(g => g.Key, g => g.Count());
        var baselineGap = 0.0;
        for (var i = 1; i < before.Count; i++)
        {
            baselineGap = Math.Max(baselineGap, before[i].End - before[i - 1].End);
        }
        // Each step: how long it took, the client p99 and longest wait while it ran, and where the longest gap fell.
        var steps = new List<string>();
        var from = start;
        foreach (var (at, step) in marks)
        {
            var within = transactions.Where(t => t.End > from && t.End <= at).Select(t => t.End - t.Start).Order().ToArray();
            var p99 = within.Length == 0 ? 0 : within[(int)Math.Ceiling(0.99 * within.Length) - 1];
            var hasGap = gapAt >= from && gapAt < at;
            steps.Add(string.Create(CultureInfo.InvariantCulture,
                $"{(at - from) / 1000,7:0.000} s  p99 {p99,6:0.0} ms  max {(within.Length == 0 ? 0 : within[^1]),6:0} ms  {step}{(hasGap ? $"  <- longest gap ({gap:0} ms)" : "")}"));
            from = at;
        }
        return new Outcome(name, baseline with { Max = baselineGap }, stats, end - start, gap, slow, errors, s_backfilled, s_backfillMs, steps);
    }

    private static Stats Of(List<LoadGenerator.Transaction> transactions, double windowMs)
    {
        if (transactions.Count == 0)
        {
            return new Stats(0, 0, 0, 0, 0);
        }
        var latencies = transactions.Select(t => t.End - t.Start).Order().ToArray();
        var at = (double q) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
        return new Stats(latencies.Length, at(0.50), at(0.99), latencies[^1], transactions.Count(t => t.Error is null) / windowMs * 1000);
    }

    /// <summary>Everything in one transaction: the column, its values, NOT NULL, the foreign key, the index. The new version is deployed after it.</summary>
    private static async Task NaiveAsync(string connectionString, LoadGenerator load, string directory, Timeline timeline)
    {
        await using var connection = await ReferenceData.OpenAsync(connectionString, "migration");
        await ReferenceData.ExecuteAsync(connection, $"""
            BEGIN;
            ALTER TABLE workflow_runs ADD COLUMN organization_id uuid;
            UPDATE workflow_runs SET organization_id = {ReferenceData.OrganizationOf};
            ALTER TABLE workflow_runs ALTER COLUMN organization_id SET NOT NULL;
            ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES organizations (id);
            CREATE INDEX workflow_runs_org_created_idx ON workflow_runs (organization_id, created_at DESC);
            COMMIT;
            """);
        timeline.Mark("one transaction: add column, update every row, SET NOT NULL, foreign key, index");
        await load.DeployAsync();
    }

    /// <summary>
    /// The recipe done by hand: nullable column and NOT VALID foreign key, a BEFORE INSERT trigger filling the
    /// column for old writers, a keyset backfill of 10,000 rows per transaction, VALIDATE, SET NOT NULL (which
    /// scans the table under ACCESS EXCLUSIVE: the script has no validated check to prove it), CREATE INDEX
    /// CONCURRENTLY. The trigger stays for a later release; the new version is deployed after the script.
    /// </summary>
    private static async Task ExpertAsync(string connectionString, LoadGenerator load, string directory, Timeline timeline)
    {
        await using var connection = await ReferenceData.OpenAsync(connectionString, "migration");
        var step = async (string sql) =>
        {
            await ReferenceData.ExecuteAsync(connection, sql);
            timeline.Mark(sql.Split('\n')[0]);
        };
        await ReferenceData.ExecuteAsync(connection, "SET lock_timeout = '2s'");
        await step( "ALTER TABLE workflow_runs ADD COLUMN organization_id uuid");
        await step(
            "ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES organizations (id) NOT VALID");
        await step( """
            CREATE FUNCTION workflow_runs_fill_organization() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.organization_id IS NULL THEN
                    NEW.organization_id := (SELECT w.organization_id FROM workflows w WHERE w.id = NEW.workflow_id);
                END IF;
                RETURN NEW;
            END $$
            """);
        await step(
            "CREATE TRIGGER workflow_runs_fill_organization BEFORE INSERT ON workflow_runs FOR EACH ROW EXECUTE FUNCTION workflow_runs_fill_organization()");
        Guid? last = null;
        while (true)
        {
            // The batch's upper key first (none: the rest of the table), then one UPDATE per batch, each its own transaction.
            await using var next = new NpgsqlCommand("SELECT id FROM workflow_runs WHERE $1::uuid IS NULL OR id > $1 ORDER BY id OFFSET 9999 LIMIT 1", connection);
            next.Parameters.Add(new NpgsqlParameter { Value = (object?)last ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            var upper = await next.ExecuteScalarAsync() as Guid?;
            await using var update = new NpgsqlCommand($"""
                UPDATE workflow_runs SET organization_id = {ReferenceData.OrganizationOf}
                WHERE {(last is null ? "true" : "id > $1")} AND {(upper is null ? "true" : "id <= $2")} AND organization_id IS NULL
                """, connection);
            update.Parameters.Add(new NpgsqlParameter { Value = (object?)last ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            update.Parameters.Add(new NpgsqlParameter { Value = (object?)upper ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            await update.ExecuteNonQueryAsync();
            if (upper is null)
            {
                break;
            }
            last = upper;
        }
        timeline.Mark("keyset backfill, 10,000 rows per batch");
        await step( "ALTER TABLE workflow_runs VALIDATE CONSTRAINT workflow_runs_organization_id_fkey");
        await step( "ALTER TABLE workflow_runs ALTER COLUMN organization_id SET NOT NULL");
        await step( "CREATE INDEX CONCURRENTLY workflow_runs_org_created_idx ON workflow_runs (organization_id, created_at DESC)");
        await load.DeployAsync();
    }

    /// <summary>Stepwise's plan: start (old writers keep working), the new version deployed, then complete.</summary>
    internal static async Task StepwiseAsync(string connectionString, LoadGenerator load, string directory, Timeline timeline, BackfillOptions backfill,
        TimeSpan? lockTimeout = null, Stepwise.Execution.Locking.LockPolicy? policy = null)
    {
        var migration = MigrationDirectory.Load(directory).Versioned.Single();
        await using var connection = await ReferenceData.OpenAsync(connectionString, "stepwise");
        // What apply plans: the operations' steps, consecutive catalog-only steps on one table grouped into one lock wait.
        var plan = await MigrationPlanner.PlanAsync(connection, ReferenceData.Migration(), migration.DisplayName, ["stepwise"], CancellationToken.None);
        await using var observer = await ReferenceData.OpenAsync(connectionString, "stepwise observer");
        var history = new HistoryStore("stepwise");
        await history.EnsureAsync(connection, CancellationToken.None);
        var clock = new Stopwatch();
        var report = backfill.OnProgress;
        backfill.OnProgress = p =>
        {
            if (!clock.IsRunning)
            {
                clock.Start();
            }
            report?.Invoke(p);
            if (p.Done)
            {
                s_backfilled = p.RowsDone;
                s_backfillMs = clock.Elapsed.TotalMilliseconds;
            }
        };
        var options = new MigratorOptions { Database = connectionString, Directory = directory, Backfill = backfill, LockPolicy = policy };
        if (lockTimeout is { } timeout)
        {
            // A step waiting for its lock blocks every transaction queued behind it: a short wait, retried, bounds that.
            options.LockTimeout = timeout;
        }
        var runner = new PlanExecutor(connection, observer, history, options, timeline);
        await runner.RunPhaseAsync(migration, plan, PlanPhase.Start, 0, CancellationToken.None);
        await load.DeployAsync();
        timeline.Mark("new version deployed");
        await runner.RunPhaseAsync(migration, plan, PlanPhase.Complete, 0, CancellationToken.None);
    }

    /// <summary>A run only counts if the migration did its job: every run has its organization, NOT NULL, the foreign key valid, the index valid.</summary>
    internal static async Task CheckMigratedAsync(string connectionString)
    {
        await using var connection = await ReferenceData.OpenAsync(connectionString);
        var problems = await ReferenceData.ScalarAsync<long>(connection, """
            SELECT (SELECT count(*) FROM workflow_runs r JOIN workflows w ON w.id = r.workflow_id WHERE r.organization_id IS DISTINCT FROM w.organization_id)
                 + (SELECT count(*) FROM pg_attribute WHERE attrelid = 'workflow_runs'::regclass AND attname = 'organization_id' AND NOT attnotnull)
                 + (SELECT count(*) FROM pg_constraint WHERE conname = 'workflow_runs_organization_id_fkey' AND NOT convalidated)
                 + (SELECT count(*) FROM pg_index WHERE indexrelid = 'workflow_runs_org_created_idx'::regclass AND NOT indisvalid)
            """);
        if (problems != 0)
        {
            throw new InvalidOperationException($"the migration left {problems} problems (wrong rows, nullable column, unvalidated key or invalid index)");
        }
    }
}
