using Microsoft.Extensions.Logging;
using Stepwise.Execution;

namespace Stepwise.Fleet;

/// <summary>What a <see cref="FleetRunner"/> does to each target.</summary>
public enum FleetAction
{
    /// <summary>Apply pending migrations (starting an operation migration), as <c>stepwise apply</c>.</summary>
    Apply,

    /// <summary>Complete the operation migration started on the targets, as <c>stepwise complete</c>.</summary>
    Complete,

    /// <summary>Abort the started operation migration (or, with <see cref="FleetOptions.RollbackTo"/>, run down sections), as <c>stepwise rollback</c>.</summary>
    Rollback,
}

/// <summary>How a fleet run proceeds: the canary, the waves, the error budget, and how each target is migrated.</summary>
public sealed class FleetOptions
{
    /// <summary>The migration directory every target is migrated from.</summary>
    public required string Directory { get; set; }

    /// <summary>Schema holding each target's history (default <c>stepwise</c>).</summary>
    public string StateSchema { get; set; } = "stepwise";

    /// <summary>The first targets (in order) migrated one by one before any wave; all must succeed (default 1; 0 for none).</summary>
    public int Canary { get; set; } = 1;

    /// <summary>How many targets migrate at once within a wave (default 4).</summary>
    public int Parallelism { get; set; } = 4;

    /// <summary>The first wave's size (default: <see cref="Parallelism"/>); each next wave is <see cref="WaveGrowth"/> times larger.</summary>
    public int? FirstWave { get; set; }

    /// <summary>How much larger each wave is than the one before (default 2).</summary>
    public double WaveGrowth { get; set; } = 2;

    /// <summary>The fleet stops once this many targets have failed (default 1: at the first failure). Targets already running finish.</summary>
    public int? MaxFailures { get; set; } = 1;

    /// <summary>The fleet stops once this share (0-1) of all its targets has failed (default none).</summary>
    public double? MaxFailureRate { get; set; }

    /// <summary>For <see cref="FleetAction.Apply"/>: what each target's apply does (to a version, out of order, with complete).</summary>
    public ApplyRequest Apply { get; set; } = new();

    /// <summary>
    /// For <see cref="FleetAction.Complete"/>: complete where the start succeeded even though it did not succeed everywhere
    /// (default false: refuse, changing nothing, while any target's start has not succeeded).
    /// </summary>
    public bool AllowPartial { get; set; }

    /// <summary>For <see cref="FleetAction.Rollback"/>: run down sections of migrations newer than this version (after aborting a started operation migration).</summary>
    public long? RollbackTo { get; set; }

    /// <summary>Where the fleet state is kept (null: nowhere; the targets' own history is still the truth).</summary>
    public IFleetStateStore? State { get; set; }

    /// <summary>The fleet's log; each target's migrator logs through it with the target's name before each line.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>Called before each target's migrator is created, to set what <c>stepwise apply</c>'s options set (locks, backfills, instances).</summary>
    public Action<FleetTarget, MigratorOptions>? ConfigureTarget { get; set; }

    /// <summary>Called as the run moves on (a wave begins, a target begins or ends, the run stops), one call at a time.</summary>
    public Action<FleetProgress>? OnProgress { get; set; }

    /// <summary>How many targets' status are read at once before the run and by <see cref="FleetRunner.StatusAsync"/> (default 8).</summary>
    public int ReadParallelism { get; set; } = 8;

    internal void Validate()
    {
        if (Canary < 0 || Parallelism < 1 || FirstWave is < 1 || WaveGrowth < 1 || MaxFailures is < 1 || MaxFailureRate is <= 0 or > 1 || ReadParallelism < 1)
        {
            throw new ArgumentException("fleet options out of range: canary ≥ 0, parallelism ≥ 1, first wave ≥ 1, wave growth ≥ 1, max failures ≥ 1, max failure rate in (0, 1]");
        }
    }
}
