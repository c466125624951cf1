namespace Stepwise.Execution.Locking;

/// <summary>What to do about the sessions in the way before a statement queues for its locks.</summary>
internal abstract record LockAction
{
    /// <summary>Queue for the locks with this lock_timeout.</summary>
    public sealed record Attempt(TimeSpan Timeout) : LockAction;

    /// <summary>Cancel this autovacuum (pg_cancel_backend), then look again.</summary>
    public sealed record CancelAutovacuum(LockHolder Holder) : LockAction;

    /// <summary>Terminate this session idle in transaction (pg_terminate_backend), then look again.</summary>
    public sealed record TerminateIdle(LockHolder Holder) : LockAction;

    /// <summary>Do not queue: these will not end within the bound; look again shortly.</summary>
    public sealed record WaitOut(IReadOnlyList<LockHolder> Holders) : LockAction;
}

/// <summary>
/// The lock policy's decision, a pure function of who holds conflicting locks: an autovacuum is cancelled as
/// PostgreSQL itself would after deadlock_timeout; a holder already older than the bound is waited out (polling)
/// rather than queued behind, since queueing would stall every client for the whole lock_timeout and most likely
/// fail; otherwise the statement queues with the current lock_timeout.
/// </summary>
internal static class LockDecision
{
    /// <summary>How far past deadlock_timeout a request queues behind an autovacuum it may not cancel, for PostgreSQL to cancel it.</summary>
    public static readonly TimeSpan QueuePastDeadlockTimeout = TimeSpan.FromMilliseconds(200);

    /// <param name="holders">The sessions holding conflicting locks.</param>
    /// <param name="policy">The numbers.</param>
    /// <param name="timeout">The lock_timeout the next attempt would use.</param>
    /// <param name="mayCancelAutovacuum">False once pg_cancel_backend was refused for an autovacuum worker.</param>
    /// <param name="deadlockTimeout">The server's deadlock_timeout: after it, PostgreSQL cancels an autovacuum blocking a lock request.</param>
    public static LockAction Decide(IReadOnlyList<LockHolder> holders, LockPolicy policy, TimeSpan timeout, bool mayCancelAutovacuum, TimeSpan deadlockTimeout)
    {
        if (!policy.LookFirst || holders.Count == 0)
        {
            return new LockAction.Attempt(timeout);
        }
        var autovacuum = holders.FirstOrDefault(h => h.Kind == HolderKind.Autovacuum);
        if (autovacuum is not null && policy.CancelAutovacuum && mayCancelAutovacuum)
        {
            return new LockAction.CancelAutovacuum(autovacuum);
        }
        if (policy.TerminateIdleAfter is { } idleBound && holders.FirstOrDefault(h => h.Kind == HolderKind.IdleInTransaction && h.StateAge > idleBound) is { } idle)
        {
            return new LockAction.TerminateIdle(idle);
        }
        var queueingCancels = policy.CancelAutovacuum && policy.MaxLockWait >= deadlockTimeout + QueuePastDeadlockTimeout;
        var longHolders = holders.Where(h => h.Kind switch
        {
            HolderKind.WraparoundAutovacuum => true,
            // Not ours to cancel: PostgreSQL cancels it once a request has waited deadlock_timeout, if the bound allows that long.
            HolderKind.Autovacuum => !queueingCancels,
            _ => h.TransactionAge >= policy.MaxLockWait,
        }).ToList();
        if (longHolders.Count > 0)
        {
            return new LockAction.WaitOut(longHolders);
        }
        if (autovacuum is not null)
        {
            return new LockAction.Attempt(deadlockTimeout + QueuePastDeadlockTimeout);
        }
        return new LockAction.Attempt(timeout);
    }
}
