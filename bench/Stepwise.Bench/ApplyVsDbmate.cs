using System.Globalization;
using Npgsql;
using Stepwise.Embedded;
using Stepwise.Execution;
using Stepwise.Migrations;

namespace Stepwise.Bench;

/// <summary>
/// 1,000 one-table migrations applied to an empty database by dbmate and by Stepwise (the CLI as a
/// process, which pays .NET start-up as dbmate pays its own; and the library in-process), side by side on
/// one throwaway server, a fresh database for every run.
/// </summary>
internal static class ApplyVsDbmate
{
    private const int Migrations = 1000;
    private const int Runs = 5;

    private sealed record Tool(string Name, string HistoryTable, Func<int, string, string, string, Task<Timing>> ApplyAsync);

    internal static async Task RunAsync()
    {
        var dbmate = BenchSupport.Dbmate(required: true)!;
        var cli = BenchSupport.StepwiseCliDll();
        var scratch = BenchSupport.CreateScratch("apply");
        try
        {
            var directory = BenchSupport.WriteMigrations(scratch.FullName, Migrations);
            await using var postgres = await TempPostgres.StartAsync();

            Tool[] tools =
            [
                new("dbmate up (process)", "public.schema_migrations", (port, db, _, dir) => BenchSupport.TimeProcessAsync(
                    dbmate, ["--url", BenchSupport.Url(port, db), "--migrations-dir", dir, "--no-dump-schema", "up"], scratch.FullName)),
                new("stepwise apply (CLI process)", "stepwise.migrations", (port, db, _, dir) => BenchSupport.TimeProcessAsync(
                    "dotnet", [cli, "apply", "-d", BenchSupport.Url(port, db), "--dir", dir], scratch.FullName)),
                new("Migrator.ApplyAsync (in-process)", "stepwise.migrations", (_, _, connectionString, dir) => BenchSupport.TimeAsync(
                    () => new Migrator(new MigratorOptions { Database = connectionString, Directory = dir }).ApplyAsync(new ApplyRequest()))),
            ];

            var samples = tools.ToDictionary(t => t.Name, _ => new List<Timing>());
            var serverCpu = tools.ToDictionary(t => t.Name, _ => new List<double>());
            var serverPid = postgres.ServerProcessId;
            var loadBefore = BenchSupport.LoadAverage();
            var database = 0;
            // Run 0 warms up (page cache, the dotnet host, JIT in-process) and is not counted. The order of
            // the tools rotates so that none always runs right after another's database was dropped.
            for (var run = 0; run <= Runs; run++)
            {
                for (var i = 0; i < tools.Length; i++)
                {
                    var tool = tools[(run + i) % tools.Length];
                    var name = "bench_" + database++.ToString(CultureInfo.InvariantCulture);
                    var connectionString = await postgres.CreateDatabaseAsync(name);
                    var children = BenchSupport.ServerChildren(serverPid).Count;
                    var cpuBefore = BenchSupport.ServerCpu(serverPid);
                    var elapsed = await tool.ApplyAsync(postgres.Port, name, connectionString, directory);
                    await BenchSupport.WaitForServerChildrenAsync(serverPid, children);
                    var server = (BenchSupport.ServerCpu(serverPid) - cpuBefore).TotalMilliseconds;
                    await CheckAppliedAsync(connectionString, tool.HistoryTable);
                    await DropAsync(postgres.ConnectionString, name);
                    if (run > 0)
                    {
                            samples[tool.Name].Add(elapsed);
                        serverCpu[tool.Name].Add(server);
                    }
                    Console.Error.WriteLine($"run {run}{(run == 0 ? " (warm-up)" : "")}: {tool.Name,-34} {elapsed.WallMs,8:0} ms, CPU {elapsed.CpuMs,6:0} ms, server CPU {server,6:0} ms");
                }
            }

            // Reading and parsing the directory, alone: the part of Stepwise's time that is not the database.
            MigrationDirectory.Load(directory);
            var load = new List<Timing>();
            for (var i = 0; i < Runs; i++)
            {
                load.Add(await BenchSupport.TimeAsync(() => Task.FromResult(MigrationDirectory.Load(directory))));
            }

            Console.WriteLine($"Apply {Migrations:N0} one-table migrations to an empty database: {Runs} runs each after one warm-up, " +
                $"PostgreSQL in {postgres.BinDirectory}, {BenchSupport.FirstLine(dbmate, "--version")}, {BenchSupport.Machine()}, " +
                $"load average {loadBefore} before and {BenchSupport.LoadAverage()} after");
            Console.WriteLine();
            Console.WriteLine(BenchSupport.Header("tool", "server CPU ms (median)"));
            foreach (var tool in tools)
            {
                Console.WriteLine(BenchSupport.Row(tool.Name, samples[tool.Name]) + $" {BenchSupport.Median(serverCpu[tool.Name]):0} |");
            }
            Console.WriteLine(BenchSupport.Row("(Stepwise: read + parse the directory alone)", load, "0.0") + " |");
            Console.WriteLine();
            var dbmateWall = BenchSupport.Median(samples[tools[0].Name].Select(s => s.WallMs));
            var dbmateCpu = BenchSupport.Median(samples[tools[0].Name].Select(s => s.CpuMs));
            foreach (var tool in tools.Skip(1))
            {
                Console.WriteLine($"{tool.Name} / dbmate, medians: wall {BenchSupport.Median(samples[tool.Name].Select(s => s.WallMs)) / dbmateWall:0.00}, " +
                    $"CPU {BenchSupport.Median(samples[tool.Name].Select(s => s.CpuMs)) / dbmateCpu:0.00}");
            }
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>A run only counts if every table exists and every migration is recorded.</summary>
    internal static async Task CheckAppliedAsync(string connectionString, string historyTable, int migrations = Migrations)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"""
            SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 't\_%'),
                   (SELECT count(*) FROM {historyTable})
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var (tables, recorded) = (reader.GetInt64(0), reader.GetInt64(1));
        if (tables != migrations || recorded != migrations)
        {
            throw new InvalidOperationException($"expected {migrations} tables and history rows, found {tables} tables and {recorded} rows in {historyTable}");
        }
    }

    internal static async Task DropAsync(string serverConnectionString, string name)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(serverConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        // Each run starts from the same state: no dirty buffers or WAL of the last one left to write during it.
        await using var checkpoint = new NpgsqlCommand("CHECKPOINT", connection);
        await checkpoint.ExecuteNonQueryAsync();
    }
}
