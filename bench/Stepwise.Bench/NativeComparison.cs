using System.Diagnostics;
using System.Globalization;
using System.Text;
using Stepwise.Embedded;

namespace Stepwise.Bench;

/// <summary>
/// The native (Native AOT) <c>stepwise</c> side by side with squawk and dbmate, in one run: lint of a generated
/// 20,000-statement corpus (1,000 files, and the same statements as one file) by stepwise and squawk, wall time and
/// peak memory; apply of 1,000 migrations and <c>status</c> on them by stepwise (native), stepwise (.NET) and dbmate;
/// <c>stepwise --version</c>. squawk-cli and dbmate are installed from npm into the bench's scratch folder (never a
/// dependency of the project) unless SQUAWK and DBMATE name their binaries.
/// </summary>
internal static class NativeComparison
{
    private sealed record Measured(double WallMs, double CpuMs, long PeakKb);

    private sealed record Contender(string Name, string Program, string[] Prefix);

    internal static async Task RunAsync()
    {
        var runs = Knob("BENCH_RUNS", 3);
        var files = Knob("BENCH_LINT_FILES", 1000);
        var migrations = Knob("BENCH_MIGRATIONS", 1000);
        // Which parts run: lint, apply (apply and status) and version; all by default.
        var parts = (Environment.GetEnvironmentVariable("BENCH_PARTS") is { Length: > 0 } given ? given : "lint,apply,version")
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        if (parts.FirstOrDefault(p => p is not ("lint" or "apply" or "version")) is { } unknown)
        {
            throw new BenchSetupException($"BENCH_PARTS: unknown part '{unknown}' (lint, apply, version)");
        }
        var aot = AotBinary();
        var dll = BenchSupport.StepwiseCliDll();
        var scratch = BenchSupport.CreateScratch("native");
        try
        {
            var (squawk, dbmate) = await PeersAsync(scratch.FullName);
            var native = new Contender("stepwise (native)", aot, []);
            var dotnet = new Contender("stepwise (.NET)", "dotnet", [dll]);
            Console.WriteLine($"{BenchSupport.FirstLine(aot, "--version")} (native and .NET), {BenchSupport.FirstLine(squawk, "--version")}, {BenchSupport.FirstLine(dbmate, "--version")}; " +
                $"{BenchSupport.Machine()}; load average {BenchSupport.LoadAverage()} at the start; median of {runs} runs after one warm-up");
            Console.WriteLine();

            if (parts.Contains("lint"))
            {
                await LintAsync(scratch.FullName, files, runs, native, new Contender("squawk", squawk, []));
            }
            if (parts.Contains("apply"))
            {
                await ApplyAndStatusAsync(scratch.FullName, migrations, runs, native, dotnet, dbmate);
            }
            if (parts.Contains("version"))
            {
                await VersionAsync(scratch.FullName, native, dotnet);
            }
            Console.WriteLine($"load average {BenchSupport.LoadAverage()} at the end");
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static async Task LintAsync(string scratch, int files, int runs, Contender stepwise, Contender squawk)
    {
        // Plain SQL, the same bytes for both linters: one file per 20 statements, and all of them as one file.
        var directory = Directory.CreateDirectory(Path.Combine(scratch, "lint")).FullName;
        var all = new StringBuilder();
        var paths = new List<string>();
        for (var f = 0; f < files; f++)
        {
            var sb = new StringBuilder();
            LintBenchmark.AppendStatements(sb, f);
            var name = $"{f + 1:D4}_m{f}.sql";
            await File.WriteAllTextAsync(Path.Combine(directory, name), sb.ToString());
            paths.Add(Path.Combine("lint", name));
            all.Append(sb);
        }
        var big = Path.Combine(scratch, "one_file.sql");
        await File.WriteAllTextAsync(big, all.ToString());
        var statements = files * LintBenchmark.Shapes.Length;

        Console.WriteLine($"Lint: {statements:N0} statements ({all.Length / 1024:N0} KiB) as {files:N0} files and as one file; stepwise lint --format json, squawk (text)");
        Console.WriteLine();
        Console.WriteLine("| input | linter | median ms | min ms | max ms | CPU ms (median) | peak RSS MB (median) |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var (input, arguments) in new[] { ($"{files:N0} files", paths.ToArray()), ("one file", new[] { big }) })
        {
            var medians = new List<Measured>();
            foreach (var (linter, args) in new[] { (stepwise, (string[])["lint", "--format", "json", .. arguments]), (squawk, arguments) })
            {
                var samples = await RepeatAsync(runs, () => MeasureAsync(linter, args, scratch, allowedExitCode: 1));
                medians.Add(Print(input, linter.Name, samples));
            }
            Console.WriteLine($"| {input} | stepwise / squawk | {medians[0].WallMs / medians[1].WallMs:0.00}× | | | {medians[0].CpuMs / medians[1].CpuMs:0.00}× | {(double)medians[0].PeakKb / medians[1].PeakKb:0.00}× |");
        }
        Console.WriteLine();
    }

    private static async Task ApplyAndStatusAsync(string scratch, int migrations, int runs, Contender native, Contender dotnet, string dbmate)
    {
        var directory = BenchSupport.WriteMigrations(scratch, migrations);
        await using var postgres = await TempPostgres.StartAsync();
        var dbmateTool = new Contender("dbmate", dbmate, []);
        (Contender Tool, string History, Func<string, string[]> Apply, Func<string, string[]> Status)[] tools =
        [
            (native, "stepwise.migrations", url => ["apply", "-d", url, "--dir", directory], url => ["status", "-d", url, "--dir", directory]),
            (dotnet, "stepwise.migrations", url => ["apply", "-d", url, "--dir", directory], url => ["status", "-d", url, "--dir", directory]),
            (dbmateTool, "public.schema_migrations", url => ["--url", url, "--migrations-dir", directory, "--no-dump-schema", "up"],
                url => ["--url", url, "--migrations-dir", directory, "status"]),
        ];
        var apply = tools.ToDictionary(t => t.Tool.Name, _ => new List<Measured>());
        var status = tools.ToDictionary(t => t.Tool.Name, _ => new List<Measured>());
        var database = 0;
        // Run 0 warms up (page cache, binaries) and is not counted; the order rotates so that none always follows another's drop.
        for (var run = 0; run <= runs; run++)
        {
            for (var i = 0; i < tools.Length; i++)
            {
                var (tool, history, applyArgs, statusArgs) = tools[(run + i) % tools.Length];
                var name = "native_" + database++.ToString(CultureInfo.InvariantCulture);
                var connectionString = await postgres.CreateDatabaseAsync(name);
                var url = BenchSupport.Url(postgres.Port, name);
                var applied = await MeasureAsync(tool, applyArgs(url), scratch);
                await ApplyVsDbmate.CheckAppliedAsync(connectionString, history, migrations);
                // status: on the 1,000 applied migrations (exit 1 would mean something needs attention: counted, not allowed).
                var statuses = await RepeatAsync(3, () => MeasureAsync(tool, statusArgs(url), scratch), warmUp: false);
                await ApplyVsDbmate.DropAsync(postgres.ConnectionString, name);
                if (run > 0)
                {
                    apply[tool.Name].Add(applied);
                    status[tool.Name].AddRange(statuses);
                }
                Console.Error.WriteLine($"run {run}: {tool.Name,-18} apply {applied.WallMs,7:0} ms, status {statuses.Min(s => s.WallMs),5:0} ms");
            }
        }

        Console.WriteLine($"Apply {migrations:N0} one-table migrations to an empty database, then status on them (3 calls per run); PostgreSQL in {postgres.BinDirectory}");
        Console.WriteLine();
        Console.WriteLine("| command | tool | median ms | min ms | max ms | CPU ms (median) | peak RSS MB (median) |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var (label, samples) in new[] { ("apply", apply), ("status", status) })
        {
            var medians = tools.Select(t => Print(label, t.Tool.Name, samples[t.Tool.Name])).ToList();
            Console.WriteLine($"| {label} | native / dbmate | {medians[0].WallMs / medians[2].WallMs:0.00}× | | | {medians[0].CpuMs / medians[2].CpuMs:0.00}× | |");
            Console.WriteLine($"| {label} | .NET / dbmate | {medians[1].WallMs / medians[2].WallMs:0.00}× | | | {medians[1].CpuMs / medians[2].CpuMs:0.00}× | |");
        }
        Console.WriteLine();
    }

    private static async Task VersionAsync(string scratch, Contender native, Contender dotnet)
    {
        Console.WriteLine("| command | tool | median ms | min ms | max ms | CPU ms (median) | peak RSS MB (median) |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var tool in new[] { native, dotnet })
        {
            Print("--version", tool.Name, await RepeatAsync(11, () => MeasureAsync(tool, ["--version"], scratch)));
        }
        Console.WriteLine();
    }

    private static Measured Print(string input, string tool, IReadOnlyList<Measured> samples)
    {
        var wall = samples.Select(s => s.WallMs).Order().ToArray();
        var median = new Measured(wall[wall.Length / 2], BenchSupport.Median(samples.Select(s => s.CpuMs)), (long)BenchSupport.Median(samples.Select(s => (double)s.PeakKb)));
        Console.WriteLine($"| {input} | {tool} | {median.WallMs:0} | {wall[0]:0} | {wall[^1]:0} | {median.CpuMs:0} | {median.PeakKb / 1024.0:0.0} |");
        return median;
    }

    private static async Task<List<Measured>> RepeatAsync(int runs, Func<Task<Measured>> measure, bool warmUp = true)
    {
        if (warmUp)
        {
            await measure();
        }
        var samples = new List<Measured>();
        for (var i = 0; i < runs; i++)
        {
            samples.Add(await measure());
        }
        return samples;
    }

    /// <summary>Wall time, CPU time and peak resident memory of one process, through GNU time (its %M: the largest RSS, in KiB).</summary>
    private static async Task<Measured> MeasureAsync(Contender tool, IEnumerable<string> arguments, string workingDirectory, int allowedExitCode = 0)
    {
        var report = Path.Combine(workingDirectory, "time.out");
        var timing = await BenchSupport.TimeProcessAsync("/usr/bin/time", ["-f", "%M", "-o", report, tool.Program, .. tool.Prefix, .. arguments], workingDirectory, allowedExitCode);
        var peak = long.Parse(File.ReadAllLines(report).Last(l => l.Length > 0), CultureInfo.InvariantCulture);
        return new Measured(timing.WallMs, timing.CpuMs, peak);
    }

    /// <summary>squawk and dbmate: SQUAWK and DBMATE when set, else installed from npm (squawk-cli, dbmate) into the scratch folder.</summary>
    private static async Task<(string Squawk, string Dbmate)> PeersAsync(string scratch)
    {
        var squawk = Environment.GetEnvironmentVariable("SQUAWK");
        var dbmate = BenchSupport.Dbmate(required: false);
        if (string.IsNullOrEmpty(squawk) || dbmate is null)
        {
            var prefix = Path.Combine(scratch, "npm");
            Console.Error.WriteLine($"installing squawk-cli and dbmate from npm into {prefix}…");
            await BenchSupport.TimeProcessAsync("npm", ["install", "--no-audit", "--no-fund", "--no-save", "--prefix", prefix, "squawk-cli", "dbmate"], scratch);
            // The packages' JavaScript launchers start node first: time the native binaries they launch.
            squawk = string.IsNullOrEmpty(squawk) ? Path.Combine(prefix, "node_modules", "@squawk-cli", "linux-x64", "bin", "squawk") : squawk;
            dbmate ??= Path.Combine(prefix, "node_modules", "@dbmate", "linux-x64", "bin", "dbmate");
        }
        foreach (var binary in new[] { squawk, dbmate })
        {
            if (!File.Exists(binary))
            {
                throw new BenchSetupException($"{binary} is missing (another platform than linux-x64? set SQUAWK and DBMATE to the binaries)");
            }
        }
        return (squawk, dbmate);
    }

    /// <summary>The native executable: STEPWISE_AOT, else artifacts/aot/stepwise as scripts/publish-aot.sh writes it.</summary>
    private static string AotBinary()
    {
        var path = Environment.GetEnvironmentVariable("STEPWISE_AOT");
        if (string.IsNullOrEmpty(path))
        {
            // <repository>/src/Stepwise.Cli/bin/Release/net10.0/Stepwise.Cli.dll
            var repository = new FileInfo(BenchSupport.StepwiseCliDll()).Directory!.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
            path = Path.Combine(repository, "artifacts", "aot", "stepwise");
        }
        return File.Exists(path) ? Path.GetFullPath(path) : throw new BenchSetupException($"{path} is missing: run bash scripts/publish-aot.sh (or set STEPWISE_AOT)");
    }

    private static int Knob(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
}
