using Stepwise.Bench;

// Macro benchmarks, one subcommand each: dotnet run -c Release --project bench/Stepwise.Bench -- <name>
var benchmarks = new Dictionary<string, Func<Task>>(StringComparer.Ordinal)
{
    ["temp-postgres"] = TempPostgresStartup.RunAsync,
    ["parser"] = ParserBenchmark.RunAsync,
    ["lint"] = LintBenchmark.RunAsync,
    ["rewrite-cost"] = RewriteCostBenchmark.RunAsync,
    ["inspect"] = InspectBenchmark.RunAsync,
    ["apply-vs-dbmate"] = ApplyVsDbmate.RunAsync,
    ["status"] = StatusBenchmark.RunAsync,
    ["verify"] = VerifyBenchmark.RunAsync,
    ["backfill"] = BackfillBenchmark.RunAsync,
    ["load"] = LoadBenchmark.RunAsync,
    ["locks"] = LockPolicyBenchmark.RunAsync,
    ["versions"] = VersionSchemaBenchmark.RunAsync,
    ["native"] = NativeComparison.RunAsync,
    ["fleet"] = FleetBenchmark.RunAsync,
};

if (args.Length != 1 || !benchmarks.TryGetValue(args[0], out var benchmark))
{
    Console.Error.WriteLine("usage: Stepwise.Bench <benchmark>");
    Console.Error.WriteLine("benchmarks: " + string.Join(", ", benchmarks.Keys.Order()));
    return 2;
}
try
{
    await benchmark();
}
catch (BenchSetupException ex)
{
    Console.Error.WriteLine($"{args[0]}: {ex.Message}");
    return 2;
}
return 0;
