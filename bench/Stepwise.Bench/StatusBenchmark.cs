using System.Text.RegularExpressions;
using Npgsql;
using Stepwise.Embedded;
using Stepwise.Execution;
using Stepwise.Migrations;

namespace Stepwise.Bench;

/// <summary>
/// <c>status</c> on a directory of 1,000 migrations, all applied: <see cref="Migrator.StatusAsync"/>
/// in-process after a warm-up, and the CLI as a process end to end; plus what the server saw of one call
/// (connections and statements, from its statement log).
/// </summary>
internal static partial class StatusBenchmark
{
    private const int Migrations = 1000;
    private const int InProcessRuns = 21;
    private const int ProcessRuns = 7;

    internal static async Task RunAsync()
    {
        var cli = BenchSupport.StepwiseCliDll();
        var dbmate = BenchSupport.Dbmate(required: false);
        var scratch = BenchSupport.CreateScratch("status");
        try
        {
            var directory = BenchSupport.WriteMigrations(scratch.FullName, Migrations);
            var options = new TempPostgresOptions();
            // Every statement and connection goes to files under the data directory, so one call's traffic can be read back.
            options.Settings["logging_collector"] = "on";
            options.Settings["log_directory"] = "log";
            options.Settings["log_statement"] = "all";
            options.Settings["log_connections"] = "on";
            options.Settings["log_line_prefix"] = "%p|%a|";
            await using var postgres = await TempPostgres.StartAsync(options);
            var connectionString = await postgres.CreateDatabaseAsync("status_bench");
            var url = BenchSupport.Url(postgres.Port, "status_bench");
            await new Migrator(new MigratorOptions { Database = connectionString, Directory = directory }).ApplyAsync(new ApplyRequest());
            var migrator = new Migrator(new MigratorOptions { Database = connectionString, Directory = directory });

            // In-process: the warm-up loads the code paths and Npgsql's type information once per process.
            for (var i = 0; i < 3; i++)
            {
                var warm = await migrator.StatusAsync();
                if (warm.NeedsAttention || warm.Entries.Count != Migrations)
                {
                    throw new InvalidOperationException("expected all migrations applied");
                }
            }
            var loadBefore = BenchSupport.LoadAverage();
            var status = await RepeatAsync(InProcessRuns, () => BenchSupport.TimeAsync(() => migrator.StatusAsync()));
            var load = await RepeatAsync(InProcessRuns, () => BenchSupport.TimeAsync(
                () => Task.FromResult(MigrationDirectory.Load(directory, new MigrationDirectoryOptions { Parse = false }))));
            var unpooled = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
            var connect = await RepeatAsync(InProcessRuns, () => BenchSupport.TimeAsync(async () =>
            {
                await using var connection = new NpgsqlConnection(unpooled);
                await connection.OpenAsync();
            }));

            // As a process, end to end; --version is the floor (the dotnet host, start-up, argument parsing).
            var processes = new List<(string Name, string Program, string[] Arguments)>
            {
                ("stepwise --version (start-up floor)", "dotnet", [cli, "--version"]),
                ("stepwise status (text table)", "dotnet", [cli, "status", "-d", url, "--dir", directory]),
                ("stepwise status --format json", "dotnet", [cli, "status", "-d", url, "--dir", directory, "--format", "json"]),
            };
            if (dbmate is not null)
            {
                await postgres.CreateDatabaseAsync("status_dbmate");
                var dbmateUrl = BenchSupport.Url(postgres.Port, "status_dbmate");
                await BenchSupport.TimeProcessAsync(dbmate, ["--url", dbmateUrl, "--migrations-dir", directory, "--no-dump-schema", "up"], scratch.FullName);
                processes.Add(("dbmate status (for scale)", dbmate, ["--url", dbmateUrl, "--migrations-dir", directory, "status"]));
            }
            var processTimes = new List<(string Name, List<Timing> Samples)>();
            foreach (var (name, program, arguments) in processes)
            {
                await BenchSupport.TimeProcessAsync(program, arguments, scratch.FullName);
                processTimes.Add((name, await RepeatAsync(ProcessRuns, () => BenchSupport.TimeProcessAsync(program, arguments, scratch.FullName))));
            }

            // What one call costs the server: connections opened and statements run, by Stepwise's application_name.
            var log = new StatementLog(Path.Combine(postgres.DataDirectory, "log"), postgres.ConnectionString);
            var libraryTraffic = await log.CaptureAsync(() => migrator.StatusAsync());
            var cliTraffic = await log.CaptureAsync(() => BenchSupport.TimeProcessAsync("dotnet", [cli, "status", "-d", url, "--dir", directory], scratch.FullName));

            Console.WriteLine($"Status of {Migrations:N0} applied migrations: in-process {InProcessRuns} runs after 3 warm-ups, processes {ProcessRuns} runs after one warm-up; " +
                $"{BenchSupport.Machine()}, load average {loadBefore} before and {BenchSupport.LoadAverage()} after");
            Console.WriteLine();
            Console.WriteLine(BenchSupport.Header("case"));
            Console.WriteLine(BenchSupport.Row("Migrator.StatusAsync (in-process, warm)", status, "0.0"));
            Console.WriteLine(BenchSupport.Row("  of which: read + hash the directory (no parse)", load, "0.0"));
            Console.WriteLine(BenchSupport.Row("  for scale: open an unpooled connection", connect, "0.0"));
            foreach (var (name, samples) in processTimes)
            {
                Console.WriteLine(BenchSupport.Row(name, samples));
            }
            Console.WriteLine();
            Console.WriteLine("Server traffic of one call (application_name 'stepwise'):");
            Console.WriteLine(libraryTraffic.Describe("Migrator.StatusAsync, warm process"));
            Console.WriteLine(cliTraffic.Describe("stepwise status, new process"));
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static async Task<List<Timing>> RepeatAsync(int runs, Func<Task<Timing>> measure)
    {
        var samples = new List<Timing>();
        for (var i = 0; i < runs; i++)
        {
            samples.Add(await measure());
        }
        return samples;
    }

    /// <summary>Connections and statements the server logged for Stepwise's sessions.</summary>
    private sealed record Traffic(int Connections, List<string> Statements)
    {
        public string Describe(string name) =>
            $"- {name}: {Connections} connection(s), {Statements.Count} statement(s):\n" +
            string.Join('\n', Statements.Select(s => "    " + (s.Length > 110 ? s[..110] + "…" : s)));
    }

    /// <summary>
    /// Reads the server's statement log between two marker statements run on a separate session, so only
    /// what happened in between is counted.
    /// </summary>
    private sealed partial class StatementLog(string directory, string serverConnectionString)
    {
        public async Task<Traffic> CaptureAsync<T>(Func<Task<T>> action)
        {
            var id = Guid.NewGuid().ToString("N");
            await MarkAsync($"begin-{id}");
            await action();
            await MarkAsync($"end-{id}");
            var lines = await WaitForAsync($"end-{id}");
            var inside = lines.SkipWhile(l => !l.Contains($"begin-{id}", StringComparison.Ordinal)).Skip(1)
                .TakeWhile(l => !l.Contains($"end-{id}", StringComparison.Ordinal)).ToList();
            var pids = new HashSet<string>();
            var statements = new List<string>();
            foreach (var line in inside)
            {
                var match = LogLine().Match(line);
                if (!match.Success)
                {
                    continue;
                }
                var (pid, app, message) = (match.Groups["pid"].Value, match.Groups["app"].Value, match.Groups["message"].Value);
                if (message.StartsWith("connection authorized", StringComparison.Ordinal) && message.Contains("application_name=stepwise", StringComparison.Ordinal))
                {
                    pids.Add(pid);
                }
                else if (app == "stepwise" && (message.StartsWith("statement: ", StringComparison.Ordinal) || message.StartsWith("execute ", StringComparison.Ordinal)))
                {
                    statements.Add(Whitespace().Replace(message, " "));
                }
            }
            return new Traffic(pids.Count, statements);
        }

        private async Task MarkAsync(string marker)
        {
            var builder = new NpgsqlConnectionStringBuilder(serverConnectionString) { Pooling = false, ApplicationName = "bench" };
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"SELECT 'marker {marker}'", connection);
            await command.ExecuteScalarAsync();
        }

        /// <summary>The collector writes asynchronously: wait until the end marker is in the files.</summary>
        private async Task<List<string>> WaitForAsync(string marker)
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var lines = Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal)
                    .SelectMany(f => ReadShared(f)).ToList();
                if (lines.Any(l => l.Contains(marker, StringComparison.Ordinal)))
                {
                    return lines;
                }
                await Task.Delay(50);
            }
            throw new InvalidOperationException($"the server log in {directory} never showed {marker}");
        }

        private static List<string> ReadShared(string path)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            var lines = new List<string>();
            while (reader.ReadLine() is { } line)
            {
                lines.Add(line);
            }
            return lines;
        }

        [GeneratedRegex(@"^(?<pid>\d+)\|(?<app>[^|]*)\|(?:LOG|DETAIL):\s+(?<message>.*)$")]
        private static partial Regex LogLine();

        [GeneratedRegex(@"\s+")]
        private static partial Regex Whitespace();
    }
}
