using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using Stepwise.Fleet;

namespace Stepwise.Cli.Rendering;

/// <summary>
/// What <c>stepwise fleet</c> shows: live progress per wave while it runs (a bar per wave on a terminal that can draw them,
/// a line per target and wave elsewhere), then one summary table (or one JSON document), and for <c>fleet status</c> where
/// each target stands.
/// </summary>
internal static class FleetRendering
{
    /// <summary>The version of the fleet JSON shapes (docs/cli.md).</summary>
    public const int OutputVersion = 1;

    /// <summary>Runs the fleet, showing its progress; every write holds <paramref name="gate"/> (targets run in parallel and log through it too).</summary>
    public static async Task<FleetResult> RunWithProgressAsync(CliContext context, FleetOptions options, Lock gate, Func<Task<FleetResult>> run)
    {
        var output = context.Output;
        if (!context.Environment.IsTerminal || output.Format != OutputFormat.Text || !output.CanDrawLive)
        {
            options.OnProgress = p =>
            {
                if (Line(p, options) is { } line)
                {
                    lock (gate)
                    {
                        if (p.Kind == FleetProgressKind.TargetFinished && p.Target?.Outcome == FleetOutcome.Failed)
                        {
                            output.Warning(line);
                        }
                        else
                        {
                            output.Info(line);
                        }
                    }
                }
            };
            return await run();
        }
        FleetResult result = null!;
        // Drawn only when the fleet reports progress (one call at a time, under the gate the log lines also take).
        await output.Console.Progress().AutoClear(false).AutoRefresh(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async live =>
            {
                var bars = new Dictionary<int, ProgressTask>();
                var failedNames = new Dictionary<int, List<string>>();
                options.OnProgress = p =>
                {
                    lock (gate)
                    {
                        if (p.Kind == FleetProgressKind.Stopped)
                        {
                            return;
                        }
                        if (!bars.TryGetValue(p.Wave, out var bar))
                        {
                            bars[p.Wave] = bar = live.AddTask(WaveName(p.Wave), maxValue: Math.Max(1, p.WaveSize));
                            failedNames[p.Wave] = [];
                        }
                        if (p.Target is { Outcome: FleetOutcome.Failed } failed)
                        {
                            failedNames[p.Wave].Add(failed.Target.Name);
                        }
                        bar.Value = p.WaveDone;
                        var running = p.Kind == FleetProgressKind.TargetStarting ? $", {Output.Escape(p.Name!)}" : "";
                        bar.Description = $"{WaveName(p.Wave)}: {p.WaveDone}/{p.WaveSize} done"
                            + (p.WaveFailed > 0 ? $", [red]{p.WaveFailed} failed ({Output.Escape(string.Join(", ", failedNames[p.Wave].Take(3)))})[/]" : "")
                            + (p.Kind == FleetProgressKind.WaveFinished ? "" : running);
                        if (p.Kind == FleetProgressKind.WaveFinished)
                        {
                            bar.StopTask();
                        }
                        live.Refresh();
                    }
                };
                using (output.BeginLive())
                {
                    result = await run();
                }
            });
        return result;
    }

    private static string WaveName(int wave) => wave == 0 ? "canary" : $"wave {wave}";

    /// <summary>A progress line for logs and pipes.</summary>
    private static string? Line(FleetProgress p, FleetOptions options) => p.Kind switch
    {
        FleetProgressKind.WaveStarting => p.Wave == 0
            ? $"canary: {p.WaveSize} target(s), one by one"
            : $"wave {p.Wave}: {p.WaveSize} target(s), {Math.Min(p.WaveSize, options.Parallelism)} at a time",
        FleetProgressKind.TargetFinished when p.Target is { } t => t.Outcome == FleetOutcome.Failed
            ? $"{WaveName(p.Wave)} {p.WaveDone}/{p.WaveSize}: {t.Target.Name} failed after {Ms(t.Duration)} ms: {t.Error}"
            : $"{WaveName(p.Wave)} {p.WaveDone}/{p.WaveSize}: {t.Target.Name} {FleetDiagnostics.OutcomeName(t.Outcome)} in {Ms(t.Duration)} ms ({StateText(t.Status)})",
        FleetProgressKind.WaveFinished => $"{WaveName(p.Wave)} done: {p.WaveDone - p.WaveFailed} succeeded, {p.WaveFailed} failed"
            + (p.WaveDone < p.WaveSize ? $", {p.WaveSize - p.WaveDone} not run" : ""),
        _ => null,
    };

    /// <summary>The run's summary: one table of the targets (or the JSON document), then the counts and why it stopped.</summary>
    public static void Result(Output output, FleetResult result)
    {
        if (output.Format == OutputFormat.Json)
        {
            output.WriteJson(new JsonObject
            {
                ["outputVersion"] = OutputVersion,
                ["action"] = FleetDiagnostics.Name(result.Action),
                ["goal"] = result.Goal,
                ["succeeded"] = result.Succeeded,
                ["durationMs"] = Ms(result.Duration),
                ["stopped"] = result.Stop is { } stop ? new JsonObject
                {
                    ["reason"] = stop.Reason switch { FleetStopReason.CanaryFailed => "canary-failed", FleetStopReason.ErrorBudget => "error-budget", _ => "cancelled" },
                    ["message"] = stop.Message,
                    ["failed"] = new JsonArray([.. stop.Failed.Select(n => (JsonNode)n)]),
                } : null,
                ["counts"] = new JsonObject(Enum.GetValues<FleetOutcome>().Select(o => KeyValuePair.Create(Camel(o), (JsonNode?)result.Count(o)))),
                ["waves"] = new JsonArray([.. result.Waves.Select(w => (JsonNode)new JsonObject
                {
                    ["index"] = w.Index,
                    ["kind"] = w.Index == 0 ? "canary" : "wave",
                    ["targets"] = new JsonArray([.. w.Targets.Select(n => (JsonNode)n)]),
                })]),
                ["targets"] = new JsonArray([.. result.Targets.Select(t => (JsonNode)new JsonObject
                {
                    ["name"] = t.Target.Name,
                    ["target"] = t.Target.Database.ToString(),
                    ["outcome"] = FleetDiagnostics.OutcomeName(t.Outcome),
                    ["wave"] = t.Wave,
                    ["attempt"] = t.Attempt == 0 ? null : t.Attempt,
                    ["durationMs"] = t.Outcome is FleetOutcome.Succeeded or FleetOutcome.Failed ? Ms(t.Duration) : null,
                    ["error"] = t.Error,
                    ["status"] = StatusJson(t.Status),
                    ["runs"] = new JsonArray([.. t.Runs.Select(r => (JsonNode)new JsonObject
                    {
                        ["file"] = r.Migration.FileName,
                        ["phase"] = r.PhaseName,
                        ["durationMs"] = Ms(r.Duration),
                    })]),
                })]),
            });
            return;
        }
        var console = output.Console;
        var table = new Table().Border(TableBorder.Rounded).AddColumn("target").AddColumn("wave", c => c.RightAligned()).AddColumn("outcome")
            .AddColumn("version", c => c.RightAligned()).AddColumn("state").AddColumn("ms", c => c.RightAligned()).AddColumn("error");
        foreach (var t in result.Targets)
        {
            var outcome = FleetDiagnostics.OutcomeName(t.Outcome);
            table.AddRow(Output.Escape(t.Target.Name), t.Wave is { } w ? (w == 0 ? "canary" : w.ToString(CultureInfo.InvariantCulture)) : "",
                t.Outcome switch { FleetOutcome.Succeeded => $"[green]{outcome}[/]", FleetOutcome.Failed => $"[red]{outcome}[/]", FleetOutcome.NotRun => $"[yellow]{outcome}[/]", _ => outcome },
                t.Status.Version.ToString(CultureInfo.InvariantCulture), Output.Escape(StateText(t.Status)),
                t.Outcome is FleetOutcome.Succeeded or FleetOutcome.Failed ? Ms(t.Duration).ToString(CultureInfo.InvariantCulture) : "", Output.Escape(t.Error ?? ""));
        }
        console.Write(table);
        var counts = string.Join(", ", Enum.GetValues<FleetOutcome>().Where(o => result.Count(o) > 0).Select(o => $"{result.Count(o)} {FleetDiagnostics.OutcomeName(o)}"));
        if (result.Waves.Count > 0 && result.Waves[0].Index != 0 && result.Targets.Any(t => t.Wave is not null))
        {
            console.MarkupLine("[dim]no canary: the canary of this change passed in an earlier run (stepwise fleet status shows it)[/]");
        }
        console.MarkupLine($"fleet {FleetDiagnostics.Name(result.Action)} ({Output.Escape(result.Goal)}): {counts} in {result.Duration.TotalSeconds:0.0} s");
        if (result.Stop is { } s)
        {
            output.Error($"fleet stopped: {s.Message}");
            output.Error("the targets' own history is where they stand; run the same command again to continue (targets already done are left alone)");
        }
        else if (result.Count(FleetOutcome.Failed) > 0)
        {
            output.Warning($"{result.Count(FleetOutcome.Failed)} target(s) failed within the error budget; run the same command again to retry them");
        }
    }

    /// <summary><c>fleet status</c>: each target's state from its own history, with the fleet state's record of its last turn.</summary>
    public static void Status(Output output, IReadOnlyList<(FleetTarget Target, FleetTargetStatus Status, FleetTargetState? Last)> statuses)
    {
        if (output.Format == OutputFormat.Json)
        {
            output.WriteJson(new JsonObject
            {
                ["outputVersion"] = OutputVersion,
                ["needsAttention"] = statuses.Any(s => s.Status.NeedsAttention),
                ["versions"] = new JsonObject(statuses.GroupBy(s => s.Status.Version).OrderBy(g => g.Key)
                    .Select(g => KeyValuePair.Create(g.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)g.Count()))),
                ["targets"] = new JsonArray([.. statuses.Select(s => (JsonNode)new JsonObject
                {
                    ["name"] = s.Target.Name,
                    ["target"] = s.Target.Database.ToString(),
                    ["status"] = StatusJson(s.Status),
                    ["last"] = s.Last is { } last ? new JsonObject
                    {
                        ["goal"] = last.Goal,
                        ["outcome"] = last.Outcome,
                        ["attempt"] = last.Attempt,
                        ["wave"] = last.Wave,
                        ["error"] = last.Error,
                        ["startedAt"] = last.StartedAt,
                        ["finishedAt"] = last.FinishedAt,
                        ["durationMs"] = last.DurationMs,
                    } : null,
                })]),
            });
            return;
        }
        var table = new Table().Border(TableBorder.Rounded).AddColumn("target").AddColumn("version", c => c.RightAligned()).AddColumn("state")
            .AddColumn("last fleet run").AddColumn("error");
        foreach (var (target, status, last) in statuses)
        {
            var lastText = last?.Outcome is { } outcome
                ? $"{last.Goal}: {outcome}{(last.Attempt > 1 ? $" (attempt {last.Attempt})" : "")}{(last.StartedAt is { } at ? $" at {at.ToLocalTime():yyyy-MM-dd HH:mm:ss}" : "")}"
                : "";
            var state = StateText(status);
            table.AddRow(Output.Escape(target.Name), status.Version.ToString(CultureInfo.InvariantCulture),
                status.NeedsAttention ? $"[yellow]{Output.Escape(state)}[/]" : $"[green]{Output.Escape(state)}[/]", Output.Escape(lastText), Output.Escape(status.Error ?? ""));
        }
        output.Console.Write(table);
        var versions = string.Join(", ", statuses.GroupBy(s => s.Status.Version).OrderByDescending(g => g.Key).Select(g => $"{g.Count()} at version {g.Key}"));
        var attention = statuses.Count(s => s.Status.NeedsAttention);
        output.Console.MarkupLine(attention == 0 && statuses.Select(s => s.Status.Version).Distinct().Count() == 1
            ? $"[green]{statuses.Count} target(s) up to date[/] at version {statuses[0].Status.Version}"
            : $"[yellow]{attention} of {statuses.Count} target(s) need attention[/]; {versions}");
    }

    private static string StateText(FleetTargetStatus status) =>
        status.Migration is { } migration && status.State != "up to date" ? $"{status.State} {migration}" + (status.State == "pending" && status.Pending > 1 ? $" (+{status.Pending - 1})" : "") : status.State;

    private static JsonObject StatusJson(FleetTargetStatus status) => new()
    {
        ["version"] = status.Version,
        ["state"] = status.State,
        ["migration"] = status.Migration,
        ["pending"] = status.Pending,
        ["error"] = status.Error,
    };

    private static string Camel(FleetOutcome outcome) => outcome == FleetOutcome.NotRun ? "notRun" : outcome.ToString().ToLowerInvariant();

    private static long Ms(TimeSpan duration) => (long)duration.TotalMilliseconds;
}
