using Microsoft.Extensions.Logging;

namespace Stepwise.Execution;

/// <summary>The event ids Stepwise logs with, stable for filtering and alerting.</summary>
public static class EventIds
{
    /// <summary>Waiting for another runner's migration lock.</summary>
    public static readonly EventId WaitingForLock = new(1001, nameof(WaitingForLock));

    /// <summary>A migration is starting.</summary>
    public static readonly EventId MigrationStarting = new(1002, nameof(MigrationStarting));

    /// <summary>A migration was applied.</summary>
    public static readonly EventId MigrationApplied = new(1003, nameof(MigrationApplied));

    /// <summary>A statement hit lock_timeout and will be retried.</summary>
    public static readonly EventId LockTimeoutRetry = new(1004, nameof(LockTimeoutRetry));

    /// <summary>A migration failed.</summary>
    public static readonly EventId MigrationFailed = new(1005, nameof(MigrationFailed));

    /// <summary>A statement-by-statement migration resumes where it stopped.</summary>
    public static readonly EventId Resuming = new(1006, nameof(Resuming));

    /// <summary>An invalid index left by an interrupted concurrent build is dropped before the retry.</summary>
    public static readonly EventId DroppingInvalidIndex = new(1007, nameof(DroppingInvalidIndex));

    /// <summary>A migration was rolled back.</summary>
    public static readonly EventId MigrationRolledBack = new(1008, nameof(MigrationRolledBack));

    /// <summary>A statement was skipped because its effect is already there.</summary>
    public static readonly EventId AlreadyDone = new(1009, nameof(AlreadyDone));

    /// <summary>A backfill's progress (rows done, rows per second, estimated time left).</summary>
    public static readonly EventId BackfillProgress = new(1010, nameof(BackfillProgress));

    /// <summary>A step of an operation migration's plan ran.</summary>
    public static readonly EventId StepDone = new(1011, nameof(StepDone));

    /// <summary>A backfill waits (paused by an operator, or a throttle: replica lag, a vacuum, WAL rate, an old snapshot), or goes on after a wait.</summary>
    public static readonly EventId BackfillWaiting = new(1012, nameof(BackfillWaiting));

    /// <summary>A statement waits for a quiet moment to take its locks (reported every few seconds).</summary>
    public static readonly EventId LockWaiting = new(1013, nameof(LockWaiting));

    /// <summary>An autovacuum holding a conflicting lock was cancelled (or could not be).</summary>
    public static readonly EventId AutovacuumCancelled = new(1014, nameof(AutovacuumCancelled));

    /// <summary>A session idle in transaction holding a conflicting lock was terminated (only with the option).</summary>
    public static readonly EventId IdleSessionTerminated = new(1015, nameof(IdleSessionTerminated));

    /// <summary>A backfill vacuumed the row versions it replaced (debug), or its vacuum failed and it goes on without (warning).</summary>
    public static readonly EventId BackfillVacuum = new(1016, nameof(BackfillVacuum));

    /// <summary>A backfill batch ran past its bound and was cancelled (rolled back); it is retried smaller, or as it is.</summary>
    public static readonly EventId BackfillBatchCancelled = new(1017, nameof(BackfillBatchCancelled));

    /// <summary><c>baseline --from</c> left out a migration the tool's history lists but the import skipped (its code migrations, with <c>--skip-code</c>).</summary>
    public static readonly EventId BaselineSkipped = new(1018, nameof(BaselineSkipped));

    /// <summary><c>complete</c> waits for instances of an older schema version to stop (a line every few seconds, and one when they are gone).</summary>
    public static readonly EventId WaitingForInstances = new(1030, nameof(WaitingForInstances));

    /// <summary><c>complete --force</c> went ahead although instances of an older schema version are alive (they are named).</summary>
    public static readonly EventId InstancesIgnored = new(1031, nameof(InstancesIgnored));

    /// <summary>A version role's <c>search_path</c> was set to its version schema (for connection poolers).</summary>
    public static readonly EventId VersionRoleSet = new(1032, nameof(VersionRoleSet));
}
