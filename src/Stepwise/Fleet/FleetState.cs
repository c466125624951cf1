namespace Stepwise.Fleet;

/// <summary>
/// What the fleet state remembers of one target: where its history said it stood when last read, and the last fleet run's
/// turn on it. A cache: every run and <see cref="FleetRunner.StatusAsync"/> read the target's own history first and rewrite it.
/// </summary>
/// <param name="Name">The target's name.</param>
/// <param name="Target">The connection with its password hidden.</param>
/// <param name="Version">The newest applied version when last read.</param>
/// <param name="State">Its state when last read (as <see cref="FleetTargetStatus.State"/>).</param>
/// <param name="Migration">The migration that state is about.</param>
/// <param name="Goal">What the last run that tried it set out to do (<c>apply to 3</c>, <c>complete 2_org.yaml</c>, ...).</param>
/// <param name="Outcome">That run's outcome for it: <c>running</c> while its turn is under way (left so by a runner that was killed), then <c>succeeded</c>, <c>failed</c>, <c>unchanged</c>, <c>not run</c> or <c>skipped</c>.</param>
/// <param name="Error">The last failure's message.</param>
/// <param name="Attempt">How many runs have tried <see cref="Goal"/> on it.</param>
/// <param name="Wave">The wave of its last turn (0: the canary).</param>
/// <param name="StartedAt">When its last turn began.</param>
/// <param name="FinishedAt">When its last turn ended (null while running, or when the runner was killed).</param>
/// <param name="DurationMs">How long its last turn took.</param>
/// <param name="UpdatedAt">When this record was written.</param>
public sealed record FleetTargetState(string Name, string Target, long Version, string State, string? Migration, string? Goal, string? Outcome, string? Error,
    int Attempt, int? Wave, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, long? DurationMs, DateTimeOffset UpdatedAt);

/// <summary>The last fleet run: what it set out to do, whether its canary passed, how it ended.</summary>
/// <param name="Action">apply, complete or rollback.</param>
/// <param name="Goal">What it set out to do; a run with the same goal continues where this one stopped (its canary is not run again once passed).</param>
/// <param name="CanaryPassed">True once every canary target succeeded.</param>
/// <param name="StartedAt">When it began.</param>
/// <param name="FinishedAt">When it ended (null: running, or killed).</param>
/// <param name="Stop">Why it stopped early, if it did.</param>
public sealed record FleetRunState(string Action, string Goal, bool CanaryPassed, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string? Stop);

/// <summary>The fleet state as loaded: the last run and each target's record, by name.</summary>
public sealed record FleetState(FleetRunState? Run, IReadOnlyDictionary<string, FleetTargetState> Targets)
{
    /// <summary>No run recorded yet.</summary>
    public static FleetState Empty { get; } = new(null, new Dictionary<string, FleetTargetState>(StringComparer.Ordinal));
}

/// <summary>
/// Where the fleet state lives: a local file (<see cref="FleetStateFile"/>) or the catalog database (<see cref="FleetStateCatalog"/>).
/// Each target's own history is the truth; the state is a cache rewritten from it, so a runner killed at any point leaves
/// nothing a later run trusts blindly.
/// </summary>
public interface IFleetStateStore : IAsyncDisposable
{
    /// <summary>
    /// Loads the state (empty when there is none yet). With <paramref name="exclusive"/>, also takes the fleet's lock until
    /// disposed, so two runs of one fleet never interleave their records.
    /// </summary>
    /// <exception cref="Execution.MigrationLockBusyException">Another run of the fleet holds its lock.</exception>
    Task<FleetState> LoadAsync(bool exclusive, CancellationToken cancellationToken = default);

    /// <summary>Writes one target's record (replacing the previous one).</summary>
    Task SaveTargetAsync(FleetTargetState target, CancellationToken cancellationToken = default);

    /// <summary>Writes the run's record (replacing the previous one).</summary>
    Task SaveRunAsync(FleetRunState run, CancellationToken cancellationToken = default);
}
