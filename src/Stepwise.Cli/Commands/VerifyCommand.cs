using System.CommandLine;
using System.Text.Json.Nodes;
using Stepwise.Cli.Rendering;
using Stepwise.Verification;

namespace Stepwise.Cli.Commands;

/// <summary>
/// <c>stepwise verify</c>: on a throwaway PostgreSQL, every migration applies from scratch, round-trips
/// through its down section, and its statements' real locks are measured beside the linter's. Exit 1 on
/// any failure. Needs no database of yours.
/// </summary>
internal sealed class VerifyCommand : ICliCommand
{
    private readonly DevUrlOption _devUrl = new();
    private readonly SetupOption _setup = new();

    public Command Build()
    {
        var command = new Command("verify", "On a throwaway PostgreSQL: apply every migration from scratch, round-trip each down section (up → down → up), and measure the locks each statement takes; exit 1 on any failure");
        command.Options.Add(_devUrl.Option);
        command.Options.Add(_setup.Option);
        return command;
    }

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var devUrl = _devUrl.Resolve(context, parse);
        var setup = _setup.Resolve(context, parse);
        context.Output.Info($"verifying on {DevUrlOption.Where(devUrl)}{(setup is null ? "" : $", prepared with {setup.File}")}…");
        var report = await Verifier.VerifyAsync(context.MigrationsDirectory, new OutputLogger(context.Output), devUrl: devUrl, setup: setup, cancellationToken: cancellationToken);
        var output = context.Output;
        if (output.Format == OutputFormat.Json)
        {
            output.WriteJson(new JsonObject
            {
                ["outputVersion"] = RunRendering.OutputVersion,
                ["dryRun"] = false,
                ["runs"] = RunRendering.Json(report.Runs, dryRun: false, foreignKeys: null, report.LockOf),
                ["migrations"] = report.Migrations,
                ["applied"] = report.Applied,
                ["roundTripped"] = report.RoundTripped,
                ["stoppedAt"] = report.StoppedAt,
                ["ok"] = report.Problems.Count == 0,
                ["problems"] = new JsonArray([.. report.Problems.Select(p => Output.Node(p, Output.Types.VerifyProblem))]),
                ["notReversible"] = new JsonArray([.. report.NotReversible.Select(n => (JsonNode)n)]),
            });
        }
        else
        {
            if (report.Runs.Count > 0)
            {
                output.Console.Write(RunRendering.StepTable(output, report.Runs, null, report.LockOf));
            }
            if (report.NotReversible.Count > 0)
            {
                const int named = 5;
                var names = string.Join(", ", report.NotReversible.Take(named)) + (report.NotReversible.Count > named ? $" and {report.NotReversible.Count - named} more" : "");
                output.Warning($"{report.NotReversible.Count} migration(s) have no down section, so they were not round-tripped: {names}");
            }
            foreach (var problem in report.Problems)
            {
                output.Error($"{problem.File} ({problem.Step}): {problem.Message}");
            }
            output.WriteRaw(Summary(report) + "\n");
        }
        return report.Problems.Count == 0 ? ExitCodes.Success : ExitCodes.ChecksFailed;
    }

    /// <summary>What was checked, counted exactly: applied, round-tripped, and where it stopped.</summary>
    internal static string Summary(VerifyReport report)
    {
        var roundTrips = report.RoundTripped == 0 && report.Applied > 0 && report.NotReversible.Count == report.Applied
            ? "0 round-tripped: none has a down section"
            : $"{report.RoundTripped} round-tripped{(report.NotReversible.Count > 0 ? $" ({report.NotReversible.Count} without a down section)" : "")}";
        var checkedText = $"{report.Applied} applied from scratch, {roundTrips}";
        if (report.Problems.Count == 0)
        {
            return $"verified: {checkedText}";
        }
        var stopped = report.StoppedAt is { } at && at < report.Migrations
            ? $"; stopped at {at} of {report.Migrations} ({report.Migrations - at} later migration(s) not checked)"
            : "";
        if (report.StoppedAt is not null && report.Problems[^1].Step is "apply" or "start")
        {
            stopped += $"; {SetupOption.Advice}";
        }
        return $"{report.Problems.Count} problem(s): {checkedText}{stopped}";
    }
}
