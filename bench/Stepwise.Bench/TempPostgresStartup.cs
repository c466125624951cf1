using System.Diagnostics;
using Stepwise.Embedded;

namespace Stepwise.Bench;

/// <summary>
/// How long a throwaway PostgreSQL takes to start and stop: cold (initdb every time, and the first start
/// that builds the template) and warm (copy of the template). Each scenario uses its own root directory
/// so no run sees another's template or instances.
/// </summary>
internal static class TempPostgresStartup
{
    private const int Runs = 5;

    internal static async Task RunAsync()
    {
        // Not CreateTempSubdirectory (mode 0700): under root the server runs as another user, who must reach inside.
        var scratch = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "stepwise-bench-" + Guid.NewGuid().ToString("N")[..8]));
        try
        {
            var initdb = new List<double>();
            var firstStart = new List<double>();
            var warm = new List<double>();
            var stop = new List<double>();
            string? binDirectory = null;

            var noTemplate = new TempPostgresOptions { RootDirectory = Path.Combine(scratch.FullName, "no-template"), UseTemplate = false };
            for (var run = 0; run < Runs; run++)
            {
                binDirectory = await MeasureAsync(noTemplate, initdb, stop);
            }
            for (var run = 0; run < Runs; run++)
            {
                // A fresh root each time, so each start finds no template and builds it.
                var fresh = new TempPostgresOptions { RootDirectory = Path.Combine(scratch.FullName, "first-" + run) };
                await MeasureAsync(fresh, firstStart, stop);
            }
            var cached = new TempPostgresOptions { RootDirectory = Path.Combine(scratch.FullName, "first-0") };
            for (var run = 0; run < Runs; run++)
            {
                await MeasureAsync(cached, warm, stop);
            }

            Console.WriteLine($"TempPostgres start-up: {Runs} runs per scenario, {Environment.ProcessorCount} CPUs, " +
                $"{(Libc.GetEffectiveUserId() == 0 ? "root (server runs via runuser)" : "non-root")}, binaries in {binDirectory}");
            Console.WriteLine();
            Console.WriteLine($"| {"scenario",-48} | {"min ms",7} | {"median ms",9} | {"max ms",7} |");
            Console.WriteLine($"|{new string('-', 50)}|{new string('-', 9)}|{new string('-', 11)}|{new string('-', 9)}|");
            Row("cold start, UseTemplate = false (initdb)", initdb);
            Row("cold start, first with template (initdb + copy)", firstStart);
            Row("warm start (copy of cached template)", warm);
            Row("stop: DisposeAsync (fast shutdown + delete)", stop);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>Starts and stops one server, recording both times; returns the binary directory used.</summary>
    private static async Task<string> MeasureAsync(TempPostgresOptions options, List<double> starts, List<double> stops)
    {
        var clock = Stopwatch.StartNew();
        var postgres = await TempPostgres.StartAsync(options);
        starts.Add(clock.Elapsed.TotalMilliseconds);
        clock.Restart();
        await postgres.DisposeAsync();
        stops.Add(clock.Elapsed.TotalMilliseconds);
        return postgres.BinDirectory;
    }

    private static void Row(string scenario, List<double> samples)
    {
        var sorted = samples.Order().ToArray();
        Console.WriteLine($"| {scenario,-48} | {sorted[0],7:0} | {sorted[sorted.Length / 2],9:0} | {sorted[^1],7:0} |");
    }
}
