using Stepwise.Execution;

namespace Stepwise.Fleet;

/// <summary>How one target fared in a fleet run.</summary>
public enum FleetOutcome
{
    /// <summary>The action ran on the target and succeeded.</summary>
    Succeeded,

    /// <summary>The action failed on the target (or it could not be reached); its own history says how far it got.</summary>
    Failed,

    /// <summary>The target already was where the action leads (its history says so): nothing ran.</summary>
    Unchanged,

    /// <summary>The run stopped (canary failure, error budget, cancellation) before the target's turn.</summary>
    NotRun,

    /// <summary><c>complete --allow-partial</c>: the operation migration's start had not succeeded on the target, so it was left alone.</summary>
    Skipped,
}

/// <summary>Where a target stands, read from its own history (the truth; the fleet state is a cache of it).</summary>
/// <param name="Version">The newest applied version (0 when none).</param>
/// <param name="State">
/// <c>up to date</c>, <c>pending</c>, <c>started</c>, <c>starting</c>, <c>completing</c>, <c>rolling back</c>, <c>failed</c>,
/// <c>partial</c>, <c>reverting</c>, <c>modified</c>, <c>missing file</c>, <c>out of order</c> or <c>unreachable</c>.
/// </param>
/// <param name="Migration">The migration the state is about (the started, failed or first pending one), or null.</param>
/// <param name="Pending">Migrations not applied yet.</param>
/// <param name="Error">The failed attempt's error, or why the target could not be read.</param>
public sealed record FleetTargetStatus(long Version, string State, string? Migration, int Pending, string? Error)
{
    /// <summary>False only when the target is up to date.</summary>
    public bool NeedsAttention => State != "up to date";

    internal static FleetTargetStatus Unreachable(string error) => new(0, "unreachable", null, 0, error);

    internal static FleetTargetStatus Of(StatusReport report)
    {
        var pending = report.Entries.Count(e => e.Migration is not null && e.State is not MigrationState.Applied);
        var first = report.Entries.FirstOrDefault(e => e.IsOperationInProgress)
            ?? report.Entries.FirstOrDefault(e => e.State is MigrationState.Failed or MigrationState.Partial or MigrationState.Reverting or MigrationState.Modified
                or MigrationState.MissingFile or MigrationState.OutOfOrder)
            ?? report.Entries.FirstOrDefault(e => e.State is MigrationState.Pending);
        if (first is null)
        {
            return new(report.CurrentVersion, "up to date", null, 0, null);
        }
        var state = first.IsOperationInProgress ? first.History!.Status.Text() : first.State switch
        {
            MigrationState.MissingFile => "missing file",
            MigrationState.OutOfOrder => "out of order",
            _ => first.State.ToString().ToLowerInvariant(),
        };
        return new(report.CurrentVersion, state, first.File, pending, first.State == MigrationState.Failed ? first.History?.Error : null);
    }
}

/// <summary>What a fleet run did to one target.</summary>
/// <param name="Target">The target.</param>
/// <param name="Outcome">How it fared.</param>
/// <param name="Wave">0 for the canary, 1 and on for the waves; null when it was not run.</param>
/// <param name="Status">Where it stands now, from its history (after the run, when it ran).</param>
/// <param name="Error">Why it failed: the migration's file:line:col and message, a refusal with its problems, or the connection error.</param>
/// <param name="Runs">The migrations' runs on it (empty when nothing ran).</param>
/// <param name="Duration">How long its turn took.</param>
/// <param name="Attempt">How many runs of this action have tried it (1 the first time; from the fleet state).</param>
public sealed record FleetTargetResult(FleetTarget Target, FleetOutcome Outcome, int? Wave, FleetTargetStatus Status, string? Error,
    IReadOnlyList<MigrationRun> Runs, TimeSpan Duration, int Attempt);

/// <summary>Why a fleet run stopped before its end.</summary>
public enum FleetStopReason
{
    /// <summary>A canary target failed: no wave ran.</summary>
    CanaryFailed,

    /// <summary>Failures reached <see cref="FleetOptions.MaxFailures"/> or <see cref="FleetOptions.MaxFailureRate"/>: no further target started.</summary>
    ErrorBudget,

    /// <summary>The run was cancelled.</summary>
    Cancelled,
}

/// <summary>A run that stopped early: why, and the targets that failed.</summary>
public sealed record FleetStop(FleetStopReason Reason, string Message, IReadOnlyList<string> Failed);

/// <summary>One stage of a run: the canary (index 0) or a wave.</summary>
/// <param name="Index">0 for the canary, then 1, 2, ...</param>
/// <param name="Targets">The targets in it, in order.</param>
public sealed record FleetWave(int Index, IReadOnlyList<string> Targets);

/// <summary>What a fleet run did.</summary>
/// <param name="Action">The action.</param>
/// <param name="Targets">Every target, in the fleet's order.</param>
/// <param name="Waves">The canary and the waves that ran (or began).</param>
/// <param name="Stop">Why the run stopped early; null when every target had its turn.</param>
/// <param name="Duration">Wall time of the run.</param>
public sealed record FleetResult(FleetAction Action, IReadOnlyList<FleetTargetResult> Targets, IReadOnlyList<FleetWave> Waves, FleetStop? Stop, TimeSpan Duration)
{
    /// <summary>What the run set out to do (<c>apply to 3</c>, <c>complete 2_org.yaml</c>, ...): a run with the same goal continues where this one stopped.</summary>
    public string Goal { get; init; } = "";

    /// <summary>True when the run reached every target and none failed.</summary>
    public bool Succeeded => Stop is null && Targets.All(t => t.Outcome != FleetOutcome.Failed);

    /// <summary>How many targets had each outcome.</summary>
    public int Count(FleetOutcome outcome) => Targets.Count(t => t.Outcome == outcome);
}

/// <summary>What <see cref="FleetProgress"/> reports.</summary>
public enum FleetProgressKind
{
    /// <summary>The canary or a wave begins.</summary>
    WaveStarting,

    /// <summary>A target's turn begins.</summary>
    TargetStarting,

    /// <summary>A target's turn ended (<see cref="FleetProgress.Target"/> says how).</summary>
    TargetFinished,

    /// <summary>The canary or a wave ended.</summary>
    WaveFinished,

    /// <summary>The run stops early (<see cref="FleetProgress.Stop"/> says why).</summary>
    Stopped,
}

/// <summary>A step of a fleet run, for live progress.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Wave">The wave (0: the canary).</param>
/// <param name="WaveSize">Targets in that wave.</param>
/// <param name="WaveDone">Targets of the wave finished so far (succeeded or failed).</param>
/// <param name="WaveFailed">Targets of the wave failed so far.</param>
/// <param name="Name">The target's name (target events).</param>
/// <param name="Target">The finished target's result (<see cref="FleetProgressKind.TargetFinished"/>).</param>
/// <param name="Stop">Why the run stops (<see cref="FleetProgressKind.Stopped"/>).</param>
public sealed record FleetProgress(FleetProgressKind Kind, int Wave, int WaveSize, int WaveDone, int WaveFailed, string? Name = null, FleetTargetResult? Target = null, FleetStop? Stop = null);
