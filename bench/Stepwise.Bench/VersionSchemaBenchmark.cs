using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Stepwise.Embedded;
using Stepwise.Execution;
using Stepwise.Execution.Backfill;

namespace Stepwise.Bench;

/// <summary>
/// Renames and type changes on the reference table under load, through version schemas: clients of the old version
/// read and write the tables as they are (the old names and types), clients of the new version go through the new
/// version schema (<c>Search Path=public_2_change,public</c>). Phases: a baseline with old clients only; the start
/// (old clients); half the clients on each version; every client on the new version while complete runs. After the
/// mixed phase (clients paused) each version must see every row the other wrote. Reports failed transactions, client
/// p99 against the baseline, and the backfill's rate against one bulk UPDATE of the same rows on an idle copy.
/// Knobs: BENCH_VS_ROWS (1M), BENCH_LOAD_CLIENTS (4), BENCH_VS_PHASE_S (10 s per timed phase), BENCH_VS_ONLY (0,1,2).
/// </summary>
internal static class VersionSchemaBenchmark
{
    private const string NewVersion = "public_2_change";

    private sealed record Scenario(string Name, string Yaml, string OldInsert, string NewInsert, string OldRead, string NewRead, string OldMarker, string NewMarker,
        string? BulkUpdate);

    private readonly record struct Transaction(double Start, double End, bool NewVersion, bool Insert, string? Error);

    public static async Task RunAsync()
    {
        var rows = ReferenceData.Sizes("BENCH_VS_ROWS", 1_000_000)[0];
        var clients = int.Parse(Environment.GetEnvironmentVariable("BENCH_LOAD_CLIENTS") ?? "4", CultureInfo.InvariantCulture);
        var phase = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("BENCH_VS_PHASE_S") ?? "10", CultureInfo.InvariantCulture));
        const string Read = "SELECT id, {0} FROM workflow_runs WHERE workflow_id = $1 ORDER BY created_at DESC LIMIT 20";
        Scenario[] scenarios =
        [
            new("rename_column state → status",
                "operations:\n  - rename_column: { table: workflow_runs, from: state, to: status }\n",
                "INSERT INTO workflow_runs (workflow_id, state) VALUES ($1, 'old')", "INSERT INTO workflow_runs (workflow_id, status) VALUES ($1, 'new')",
                string.Format(CultureInfo.InvariantCulture, Read, "state"), string.Format(CultureInfo.InvariantCulture, Read, "status"), "state = 'old'", "status = 'new'", null),
            new("alter_column attempts integer → bigint (non-key)",
                "operations:\n  - alter_column: { table: workflow_runs, column: attempts, type: bigint }\n",
                "INSERT INTO workflow_runs (workflow_id, state, attempts) VALUES ($1, 'old', 2)", "INSERT INTO workflow_runs (workflow_id, state, attempts) VALUES ($1, 'new', 3)",
                string.Format(CultureInfo.InvariantCulture, Read, "attempts"), string.Format(CultureInfo.InvariantCulture, Read, "attempts"), "state = 'old' AND attempts = 2", "state = 'new' AND attempts = 3",
                "UPDATE workflow_runs SET _stepwise_new_attempts = attempts::bigint"),
            new("alter_column workflow_id integer → bigint (foreign key, indexed)",
                "operations:\n  - alter_column: { table: workflow_runs, column: workflow_id, type: bigint }\n",
                "INSERT INTO workflow_runs (workflow_id, state) VALUES ($1, 'old')", "INSERT INTO workflow_runs (workflow_id, state) VALUES ($1, 'new')",
                string.Format(CultureInfo.InvariantCulture, Read, "state"), string.Format(CultureInfo.InvariantCulture, Read, "state"), "state = 'old'", "state = 'new'",
                "UPDATE workflow_runs SET _stepwise_new_workflow_id = workflow_id::bigint"),
        ];
        if (Environment.GetEnvironmentVariable("BENCH_VS_ONLY") is { Length: > 0 } only)
        {
            scenarios = [.. only.Split(',').Select(i => scenarios[int.Parse(i, CultureInfo.InvariantCulture)])];
        }

        var scratch = BenchSupport.CreateScratch("versions");
        try
        {
            await using var server = await TempPostgres.StartAsync();
            await ReferenceData.CreateAsync(server, "vs_template", rows, organizationColumn: false, primaryKey: true);
            await using (var template = await ReferenceData.OpenAsync(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "vs_template" }.ConnectionString))
            {
                // An integer column to widen, and the foreign key column made integer (once, in the template: a rewrite no contender pays).
                await ReferenceData.ExecuteAsync(template, "ALTER TABLE workflow_runs ADD COLUMN attempts integer NOT NULL DEFAULT 1, ALTER COLUMN workflow_id TYPE integer");
                await ReferenceData.ExecuteAsync(template, "VACUUM ANALYZE workflow_runs");
            }
            var lines = new List<string>();
            var notes = new List<string>();
            foreach (var scenario in scenarios)
            {
                var (line, note) = await RunScenarioAsync(server, scratch, scenario, clients, phase);
                lines.Add(line);
                notes.AddRange(note);
                Console.Error.WriteLine(line);
            }
            Console.WriteLine($"Renames and type changes through version schemas: {ReferenceData.Label(rows)} runs, {clients} clients (each alternating an insert and a read of a workflow's " +
                $"20 latest runs), phases of {phase.TotalSeconds:0} s; PostgreSQL in {server.BinDirectory}; {BenchSupport.Machine()}; load average {BenchSupport.LoadAverage()}");
            Console.WriteLine();
            Console.WriteLine("| migration | start s | complete s | failed client tx | p99 ms base → during | p99 × | old rows seen by new / written | new rows seen by old / written | backfill rows/s | one bulk UPDATE rows/s (idle) |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            lines.ForEach(Console.WriteLine);
            Console.WriteLine();
            notes.ForEach(Console.WriteLine);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static async Task<(string Line, List<string> Notes)> RunScenarioAsync(TempPostgres server, DirectoryInfo scratch, Scenario scenario, int clients, TimeSpan phase)
    {
        var connectionString = await ReferenceData.CopyAsync(server, "vs_template", "vs_run");
        var directory = Directory.CreateDirectory(Path.Combine(scratch.FullName, $"m{Environment.TickCount64}")).FullName;
        File.WriteAllText(Path.Combine(directory, "1_base.sql"), "-- stepwise:up\nSELECT 1;\n");
        File.WriteAllText(Path.Combine(directory, "2_change.yaml"), scenario.Yaml);
        File.WriteAllText(Path.Combine(directory, "stepwise.sum"), Migrations.MigrationDirectory.Load(directory).ComputedSum.Render());
        var progress = default(BackfillProgress);
        var migrator = new Migrator(new MigratorOptions
        {
            Database = connectionString, Directory = directory,
            Backfill = new BackfillOptions { OnProgress = p => progress = p },
        });
        await migrator.ApplyAsync(new ApplyRequest { ToVersion = 1 });

        var clock = Stopwatch.StartNew();
        var workflows = Enumerable.Range(1, ReferenceData.Workflows).Select(i => (long)i).ToArray();
        var transactions = new List<Transaction>();
        var oldOnly = new bool[clients];
        var half = Enumerable.Range(0, clients).Select(i => i % 2 == 1).ToArray();
        var allNew = Enumerable.Repeat(true, clients).ToArray();

        transactions.AddRange(await LoadAsync(connectionString, scenario, oldOnly, workflows, clock, () => Task.Delay(phase)));
        var baseline = transactions.Where(t => t.Error is null).Select(t => t.End - t.Start).ToList();
        var during = transactions.Count;
        var startClock = Stopwatch.StartNew();
        transactions.AddRange(await LoadAsync(connectionString, scenario, oldOnly, workflows, clock, () => migrator.ApplyAsync(new ApplyRequest())));
        var startSeconds = startClock.Elapsed.TotalSeconds;
        var backfill = progress;
        transactions.AddRange(await LoadAsync(connectionString, scenario, half, workflows, clock, () => Task.Delay(phase)));

        // Clients paused: each version sees every row the other wrote.
        var oldWritten = transactions.Count(t => t is { Insert: true, NewVersion: false, Error: null });
        var newWritten = transactions.Count(t => t is { Insert: true, NewVersion: true, Error: null });
        var oldSeen = await CountAsync(connectionString, NewVersion, $"SELECT count(*) FROM workflow_runs WHERE {Marker(scenario.OldMarker, scenario)}");
        var newSeen = await CountAsync(connectionString, null, $"SELECT count(*) FROM workflow_runs WHERE {scenario.NewMarker.Replace("status", "state", StringComparison.Ordinal)}");

        var completeClock = Stopwatch.StartNew();
        transactions.AddRange(await LoadAsync(connectionString, scenario, allNew, workflows, clock, async () =>
        {
            await migrator.CompleteAsync();
            await Task.Delay(TimeSpan.FromSeconds(2));
        }));
        var completeSeconds = completeClock.Elapsed.TotalSeconds - 2;
        var duringLatencies = transactions.Skip(during).Where(t => t.Error is null).Select(t => t.End - t.Start).ToList();
        var failed = transactions.Where(t => t.Error is not null).ToList();

        double? bulk = null;
        if (scenario.BulkUpdate is { } update)
        {
            // The same rows in one UPDATE on an idle copy, with the copy column added as start adds it (no trigger, no load).
            var copy = await ReferenceData.CopyAsync(server, "vs_template", "vs_bulk");
            await using (var connection = await ReferenceData.OpenAsync(copy))
            {
                var column = update.Split(' ')[3];
                await ReferenceData.ExecuteAsync(connection, $"ALTER TABLE workflow_runs ADD COLUMN {column} bigint");
                var bulkClock = Stopwatch.StartNew();
                await ReferenceData.ExecuteAsync(connection, update);
                bulk = await ReferenceData.ScalarAsync<long>(connection, "SELECT count(*) FROM workflow_runs") / bulkClock.Elapsed.TotalSeconds;
            }
            NpgsqlConnection.ClearAllPools();
            await ReferenceData.DropAsync(server, "vs_bulk");
        }
        NpgsqlConnection.ClearAllPools();
        await ReferenceData.DropAsync(server, "vs_run");

        var p99Base = P99(baseline);
        var p99During = P99(duringLatencies);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"| {scenario.Name} | {startSeconds:0.0} | {completeSeconds:0.0} | {failed.Count} | {p99Base:0.0} → {p99During:0.0} | {p99During / p99Base:0.00} | {oldSeen:N0} / {oldWritten:N0} | {newSeen:N0} / {newWritten:N0} | "
            + $"{(backfill is { RowsPerSecond: > 0 } b ? b.RowsPerSecond.ToString("N0", CultureInfo.InvariantCulture) : "—")} | {(bulk is { } r ? r.ToString("N0", CultureInfo.InvariantCulture) : "—")} |");
        var notes = failed.GroupBy(t => t.Error).Select(g => $"- {scenario.Name}: {g.Count()} × {g.Key}").ToList();
        return (line, notes);
    }

    /// <summary>The old version's marker as the new version names its columns.</summary>
    private static string Marker(string marker, Scenario scenario) => scenario.NewRead.Contains("status", StringComparison.Ordinal) ? marker.Replace("state", "status", StringComparison.Ordinal) : marker;

    private static double P99(List<double> latencies)
    {
        if (latencies.Count == 0)
        {
            return 0;
        }
        latencies.Sort();
        return latencies[(int)Math.Ceiling(0.99 * latencies.Count) - 1];
    }

    private static async Task<long> CountAsync(string connectionString, string? version, string sql)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (version is not null)
        {
            builder.SearchPath = $"{version},public";
        }
        await using var connection = await ReferenceData.OpenAsync(builder.ConnectionString);
        return await ReferenceData.ScalarAsync<long>(connection, sql);
    }

    /// <summary>Runs one client per entry of <paramref name="onNewVersion"/> until <paramref name="until"/> finishes, then stops them and returns their transactions.</summary>
    private static async Task<List<Transaction>> LoadAsync(string connectionString, Scenario scenario, bool[] onNewVersion, long[] workflows, Stopwatch clock, Func<Task> until)
    {
        using var stop = new CancellationTokenSource();
        var logs = onNewVersion.Select(_ => new List<Transaction>()).ToArray();
        var running = onNewVersion.Select((isNew, i) => Task.Run(() => ClientAsync(connectionString, scenario, isNew, workflows, clock, logs[i], i, stop.Token))).ToArray();
        try
        {
            await until();
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(running);
        }
        return [.. logs.SelectMany(l => l)];
    }

    private static async Task ClientAsync(string connectionString, Scenario scenario, bool isNew, long[] workflows, Stopwatch clock, List<Transaction> log, int seed, CancellationToken stop)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (isNew)
        {
            builder.SearchPath = $"{NewVersion},public";
        }
        var random = new Random(seed);
        var insert = seed % 2 == 0;
        NpgsqlConnection? connection = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                connection ??= await ReferenceData.OpenAsync(builder.ConnectionString, isNew ? "new" : "old");
                var start = clock.Elapsed.TotalMilliseconds;
                await using var command = new NpgsqlCommand(insert ? isNew ? scenario.NewInsert : scenario.OldInsert : isNew ? scenario.NewRead : scenario.OldRead, connection) { CommandTimeout = 120 };
                command.Parameters.AddWithValue(workflows[random.Next(workflows.Length)]);
                var (error, broken) = await LoadGenerator.RunAsync(command, read: true);
                if (broken)
                {
                    await connection.DisposeAsync();
                    connection = null;
                }
                log.Add(new Transaction(start, clock.Elapsed.TotalMilliseconds, isNew, insert, error));
                insert = !insert;
                await Task.Delay(2, CancellationToken.None);
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }
}
