using System.Diagnostics;
using System.Diagnostics.Metrics;
using Stepwise.Execution;

namespace Stepwise.Fleet;

/// <summary>
/// The fleet's metrics and traces, on the library's one meter and activity source (<see cref="StepwiseDiagnostics.Name"/>):
/// <c>stepwise.fleet</c> around a run, <c>stepwise.fleet.wave</c> around the canary and each wave, <c>stepwise.fleet.target</c>
/// around each target's turn, with the target's own <c>stepwise.apply</c> (or complete, rollback) activity inside it.
/// </summary>
public static class FleetDiagnostics
{
    /// <summary><c>stepwise.fleet.targets</c>: targets whose turn ended, tagged <c>stepwise.fleet.action</c> and <c>stepwise.outcome</c> (succeeded, failed, unchanged, not run, skipped).</summary>
    public static Counter<long> Targets { get; } = StepwiseDiagnostics.Meter.CreateCounter<long>(
        "stepwise.fleet.targets", "{target}", "Fleet targets whose turn ended, by outcome");

    /// <summary><c>stepwise.fleet.target.duration</c>: how long each target's turn took, in seconds, tagged as <see cref="Targets"/>.</summary>
    public static Histogram<double> TargetDuration { get; } = StepwiseDiagnostics.Meter.CreateHistogram<double>(
        "stepwise.fleet.target.duration", "s", "Time of one fleet target's turn");

    internal const string ActionTag = "stepwise.fleet.action";
    internal const string TargetTag = "stepwise.fleet.target";
    internal const string WaveTag = "stepwise.fleet.wave";
    internal const string OutcomeTag = "stepwise.outcome";

    internal static Activity? Start(string name, FleetAction? action)
    {
        var activity = StepwiseDiagnostics.ActivitySource.StartActivity(name);
        if (action is { } a)
        {
            activity?.SetTag(ActionTag, Name(a));
        }
        return activity;
    }

    internal static void Record(FleetAction action, FleetTargetResult result)
    {
        var tags = new TagList { { ActionTag, Name(action) }, { OutcomeTag, OutcomeName(result.Outcome) } };
        Targets.Add(1, tags);
        if (result.Outcome is FleetOutcome.Succeeded or FleetOutcome.Failed)
        {
            TargetDuration.Record(result.Duration.TotalSeconds, tags);
        }
    }

    /// <summary>The action as commands and records name it.</summary>
    public static string Name(FleetAction action) => action.ToString().ToLowerInvariant();

    /// <summary>The outcome as output and records name it: succeeded, failed, unchanged, not run, skipped.</summary>
    public static string OutcomeName(FleetOutcome outcome) => outcome == FleetOutcome.NotRun ? "not run" : outcome.ToString().ToLowerInvariant();
}
