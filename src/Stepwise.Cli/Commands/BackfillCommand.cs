using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;
using Stepwise.Cli.Rendering;
using Stepwise.Execution.Backfill;

namespace Stepwise.Cli.Commands;

/// <summary>
/// <c>stepwise backfill pause|resume|set</c>: steers running backfills from another shell. The settings are kept in
/// the state schema; every backfill reads them before its next batch (a batch already running finishes).
/// </summary>
internal sealed class BackfillCommand : ICliCommand
{
    private readonly Argument<string> _action = new("action") { Description = "pause, resume, or set (with --batch-target, --pause, --rate)" };
    private readonly Option<string?> _batchTarget = new("--batch-target", "--batch-time") { Description = "Target duration of one batch, e.g. 100ms ('default' goes back to the run's own; also --batch-time, as apply names it)" };
    private readonly Option<string?> _pause = new("--pause", "--batch-pause") { Description = "Pause after each batch, e.g. 500ms ('default' goes back to the run's own; also --batch-pause, as apply names it)" };
    private readonly Option<string?> _rate = new("--rate", "--backfill-rate") { Description = "Rows per second at most, e.g. 5000 ('default' goes back to the run's own; also --backfill-rate, as apply names it)" };

    public Command Build()
    {
        _action.AcceptOnlyFromAmong("pause", "resume", "set");
        var command = new Command("backfill", "Steer running backfills from another shell: pause, resume, or set the batch target, the pause between batches or a rate limit; taken up before the next batch");
        command.Arguments.Add(_action);
        command.Options.Add(_batchTarget);
        command.Options.Add(_pause);
        command.Options.Add(_rate);
        return command;
    }

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var action = parse.GetValue(_action)!;
        var batchTarget = parse.GetValue(_batchTarget);
        var pause = parse.GetValue(_pause);
        var rate = parse.GetValue(_rate);
        var change = action switch
        {
            "pause" => new BackfillControlChange { Paused = true },
            "resume" => new BackfillControlChange { Paused = false },
            _ => new BackfillControlChange
            {
                BatchTarget = batchTarget is null ? null : IsDefault(batchTarget) ? TimeSpan.Zero : RunOptions.Positive(RunOptions.Duration(batchTarget, "--batch-target"), "--batch-target"),
                Pause = pause is null ? null : IsDefault(pause) ? TimeSpan.FromMilliseconds(-1) : RunOptions.Duration(pause, "--pause"),
                MaxRowsPerSecond = rate is null ? null : IsDefault(rate) ? 0 : Rate(rate),
            },
        };
        if (action != "set" && (batchTarget ?? pause ?? rate) is not null)
        {
            throw new CliException(ExitCodes.BadInput, $"--batch-target, --pause and --rate go with 'stepwise backfill set', not '{action}'");
        }
        if (action == "set" && change is { BatchTarget: null, Pause: null, MaxRowsPerSecond: null })
        {
            throw new CliException(ExitCodes.BadInput, "stepwise backfill set needs --batch-target, --pause or --rate");
        }
        var control = await context.CreateMigrator().ControlBackfillsAsync(change, cancellationToken);
        if (context.Output.Format == OutputFormat.Json)
        {
            context.Output.WriteJson(new JsonObject { ["control"] = Json(control) });
        }
        else
        {
            context.Output.Console.MarkupLine(Output.Escape(Describe(control)) + " [grey](taken up before the next batch; a running batch finishes first)[/]");
        }
        return ExitCodes.Success;
    }

    private static bool IsDefault(string text) => text.Equals("default", StringComparison.OrdinalIgnoreCase);

    private static int Rate(string text) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var rate) && rate > 0
            ? rate
            : throw new CliException(ExitCodes.BadInput, $"--rate '{text}' is not a number of rows per second: write e.g. 5000, or 'default'");

    /// <summary>The settings in one line, as <c>status</c> also shows them.</summary>
    internal static string Describe(BackfillControl control) =>
        (control.Paused ? "backfills paused (stepwise backfill resume goes on)" : "backfills running")
        + (control.BatchTarget is { } target ? $", batch target {target.TotalMilliseconds:0} ms" : "")
        + (control.Pause is { } pause ? $", pause {pause.TotalMilliseconds:0} ms between batches" : "")
        + (control.MaxRowsPerSecond is { } rate ? $", at most {rate:N0} rows/s" : "")
        + $" (set {control.UpdatedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss} by {control.UpdatedBy})";

    /// <summary>The settings in JSON output (docs/cli.md).</summary>
    internal static JsonObject Json(BackfillControl control) => new()
    {
        ["paused"] = control.Paused,
        ["batchTargetMs"] = control.BatchTarget?.TotalMilliseconds,
        ["pauseMs"] = control.Pause?.TotalMilliseconds,
        ["maxRowsPerSecond"] = control.MaxRowsPerSecond,
        ["updatedAt"] = control.UpdatedAt,
        ["updatedBy"] = control.UpdatedBy,
    };
}
