using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Stepwise.Embedded;
using Stepwise.Execution;
using Stepwise.Fleet;

namespace Stepwise.Bench;

/// <summary>
/// The reference operation migration across a fleet of copies of the reference database: a sequential shell loop of
/// <c>stepwise apply</c> (then of <c>stepwise complete</c>) against <see cref="FleetRunner"/> (fleet apply, then fleet complete)
/// with parallelism 1, 2, 4 and 8. A light client load (old version, then deployed to the new one between start and complete)
/// runs on a few databases; per contender: wall time of each phase, and the longest time any loaded database went without a
/// completed client transaction.
/// </summary>
internal static class FleetBenchmark
{
    private sealed record Row(string Contender, double StartSeconds, double CompleteSeconds, double LongestStallMs, string StallAt, int Failed, string Load);

    public static async Task RunAsync()
    {
        var count = int.Parse(Environment.GetEnvironmentVariable("BENCH_FLEET_DBS") ?? "200", CultureInfo.InvariantCulture);
        var rows = ReferenceData.Sizes("BENCH_FLEET_ROWS", 100_000)[0];
        var parallelisms = (Environment.GetEnvironmentVariable("BENCH_FLEET_PARALLELISM") ?? "1,2,4,8").Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        var loaded = Math.Min(count, int.Parse(Environment.GetEnvironmentVariable("BENCH_FLEET_LOADED") ?? "3", CultureInfo.InvariantCulture));
        var withLoop = Environment.GetEnvironmentVariable("BENCH_FLEET_LOOP") is not "0";
        var cli = BenchSupport.StepwiseCliDll();
        var scratch = BenchSupport.CreateScratch("fleet");
        var results = new List<Row>();
        try
        {
            var directory = Directory.CreateDirectory(Path.Combine(scratch.FullName, "migrations")).FullName;
            File.WriteAllText(Path.Combine(directory, "1_organization_id.yaml"), ReferenceData.MigrationYaml);
            var serverOptions = new TempPostgresOptions();
            serverOptions.Settings["max_connections"] = "200";
            await using var server = await TempPostgres.StartAsync(serverOptions);
            await ReferenceData.CreateAsync(server, "fleet_template", rows, organizationColumn: false, primaryKey: true);
            var contenders = new List<(string Name, Func<IReadOnlyList<string>, Task> Start, Func<IReadOnlyList<string>, Task> Complete)>();
            if (withLoop)
            {
                contenders.Add(("shell loop: stepwise apply, then stepwise complete, one database after another",
                    urls => LoopAsync(cli, "apply", urls, directory), urls => LoopAsync(cli, "complete", urls, directory)));
            }
            foreach (var parallelism in parallelisms)
            {
                var options = new FleetOptions { Directory = directory, Parallelism = parallelism };
                contenders.Add(($"fleet, parallelism {parallelism} (canary 1, waves ×2)",
                    urls => FleetAsync(urls, options, FleetAction.Apply), urls => FleetAsync(urls, options, FleetAction.Complete)));
            }
            foreach (var (name, start, complete) in contenders)
            {
                var urls = await CopiesAsync(server, count);
                // The loaded databases: the first (the canary), one in the middle, the last.
                var loads = new List<LoadGenerator>();
                foreach (var i in Enumerable.Range(0, loaded).Select(k => loaded == 1 ? 0 : (int)((long)k * (count - 1) / (loaded - 1))).Distinct())
                {
                    var load = await LoadGenerator.CreateAsync(urls[i], 2, TimeSpan.FromMilliseconds(5), LoadGenerator.Reads.FastIndexed);
                    load.Start();
                    loads.Add(load);
                }
                await Task.Delay(TimeSpan.FromSeconds(2));
                var starts = loads.Select(l => l.Now).ToList();
                var clock = Stopwatch.StartNew();
                await start(urls);
                var startSeconds = clock.Elapsed.TotalSeconds;
                foreach (var load in loads)
                {
                    await load.DeployAsync(); // every instance on the new version before the contract phase
                }
                clock.Restart();
                await complete(urls);
                var completeSeconds = clock.Elapsed.TotalSeconds;
                var (stall, at, failed) = (0.0, "", 0);
                for (var i = 0; i < loads.Count; i++)
                {
                    var end = loads[i].Now;
                    var transactions = await loads[i].StopAsync();
                    var outcome = LoadBenchmark.Summarize(name, transactions, starts[i], starts[i], end, []);
                    failed += outcome.Errors.Values.Sum();
                    if (outcome.LongestGapMs > stall)
                    {
                        (stall, at) = (outcome.LongestGapMs, $"database {i + 1} of {loads.Count} loaded");
                    }
                }
                foreach (var url in urls)
                {
                    await LoadBenchmark.CheckMigratedAsync(url);
                }
                results.Add(new Row(name, startSeconds, completeSeconds, stall, at, failed, BenchSupport.LoadAverage()));
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name}: start {startSeconds:0.0} s, complete {completeSeconds:0.0} s, longest stall {stall:0} ms ({at}), failed client tx {failed}, load {results[^1].Load}"));
                await DropCopiesAsync(server, count);
            }
            Console.WriteLine($"Fleet: the reference operation migration (start, deploy, complete) on {count} databases of {ReferenceData.Label(rows)} runs each; "
                + $"{loaded} of them under a light client load (2 clients, an insert and an indexed read, 5 ms think time); {BenchSupport.Machine()}");
            Console.WriteLine();
            Console.WriteLine("| contender | start s | complete s | total s | longest client stall ms | failed client tx | load avg |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---|");
            foreach (var r in results)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Contender} | {r.StartSeconds:0.0} | {r.CompleteSeconds:0.0} | {r.StartSeconds + r.CompleteSeconds:0.0} | {r.LongestStallMs:0} | {r.Failed} | {r.Load} |"));
            }
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static async Task FleetAsync(IReadOnlyList<string> urls, FleetOptions options, FleetAction action)
    {
        var targets = urls.Select((url, i) => FleetTarget.Of(Connections.DatabaseTarget.Parse(url), $"db{i + 1:000}")).ToList();
        var result = await new FleetRunner(targets, options).RunAsync(action);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"fleet {action} failed: {result.Stop?.Message ?? string.Join("; ", result.Targets.Where(t => t.Error is not null).Select(t => $"{t.Target.Name}: {t.Error}"))}");
        }
    }

    /// <summary>What a team does without a fleet runner: one <c>stepwise</c> process per database, in a shell loop, stopping at the first failure.</summary>
    private static async Task LoopAsync(string cli, string command, IReadOnlyList<string> urls, string directory)
    {
        var info = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-c", $"for url in \"$@\"; do dotnet \"$CLI\" {command} --database \"$url\" --dir \"$DIR\" --no-color > /dev/null 2>&1 || exit 1; done", "loop" }.Concat(urls))
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["CLI"] = cli;
        info.Environment["DIR"] = directory;
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"the shell loop of stepwise {command} failed: {await error}");
        }
    }

    private static async Task<List<string>> CopiesAsync(TempPostgres server, int count)
    {
        await using var connection = await ReferenceData.OpenAsync(server.ConnectionString);
        var urls = new List<string>();
        for (var i = 1; i <= count; i++)
        {
            var name = $"fleet_{i:000}";
            await ReferenceData.ExecuteAsync(connection, $"DROP DATABASE IF EXISTS \"{name}\"");
            await ReferenceData.ExecuteAsync(connection, $"CREATE DATABASE \"{name}\" TEMPLATE fleet_template");
            urls.Add(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = name }.ConnectionString);
        }
        await ReferenceData.ExecuteAsync(connection, "CHECKPOINT"); // no copy's dirty buffers left for the contender to write
        return urls;
    }

    private static async Task DropCopiesAsync(TempPostgres server, int count)
    {
        for (var i = 1; i <= count; i++)
        {
            await ReferenceData.DropAsync(server, $"fleet_{i:000}");
        }
    }
}
