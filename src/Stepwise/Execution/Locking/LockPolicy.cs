namespace Stepwise.Execution.Locking;

/// <summary>
/// The numbers of the lock-acquisition policy: how long a statement may sit in a table's lock queue (where every
/// client that comes after it waits too), how patient the whole wait is, and what may be done to the sessions in
/// the way. Built from <see cref="MigratorOptions"/> by <see cref="From"/>.
/// </summary>
internal sealed record LockPolicy
{
    /// <summary>The first lock_timeout of a statement on a table not seen yet.</summary>
    public TimeSpan FirstTimeout { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest lock_timeout: the worst wait a client can see behind a queued statement.</summary>
    public TimeSpan MaxLockWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one statement keeps trying before the run stops (resumable).</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>When set, attempts stop after this many retries even before the deadline (the fixed policies of earlier releases).</summary>
    public int? MaxRetries { get; init; }

    /// <summary>Look at the holders before each attempt (cancel autovacuum, wait out long holders); off for the fixed policies.</summary>
    public bool LookFirst { get; init; } = true;

    /// <summary>Cancel an autovacuum (not one preventing wraparound) that holds a conflicting lock, as PostgreSQL would after deadlock_timeout.</summary>
    public bool CancelAutovacuum { get; init; } = true;

    /// <summary>When set, sessions idle in a transaction longer than this, holding a conflicting lock, are terminated.</summary>
    public TimeSpan? TerminateIdleAfter { get; init; }

    /// <summary>How often a waiting statement reports.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the holders are looked at while waiting a long holder out.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest pause between attempts of a fixed policy (its backoff doubles from <see cref="FirstTimeout"/>).</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The policy <paramref name="options"/> describe.</summary>
    public static LockPolicy From(MigratorOptions options) => new()
    {
        FirstTimeout = options.StepLockTimeout,
        MaxLockWait = options.MaxLockWait < options.StepLockTimeout ? options.StepLockTimeout : options.MaxLockWait,
        Deadline = options.LockDeadline,
        CancelAutovacuum = options.CancelAutovacuum,
        TerminateIdleAfter = options.TerminateIdleInTransactionAfter,
    };

    /// <summary>This policy with lock_timeout pinned to <paramref name="timeout"/> (a file's <c>lock-timeout</c> directive).</summary>
    public LockPolicy Pinned(TimeSpan timeout) => this with { FirstTimeout = timeout, MaxLockWait = timeout };

    /// <summary>The lock_timeout after an attempt with <paramref name="timeout"/> timed out: doubled, and at least what the table's own transactions were seen to take, never above <see cref="MaxLockWait"/>.</summary>
    public TimeSpan Raise(TimeSpan timeout, TimeSpan longestHolderSeen)
    {
        if (!LookFirst)
        {
            return timeout;
        }
        var wanted = Math.Max(timeout.TotalMilliseconds * 2, longestHolderSeen.TotalMilliseconds * 1.25);
        return TimeSpan.FromMilliseconds(Math.Min(wanted, MaxLockWait.TotalMilliseconds));
    }

    /// <summary>The pause after attempt <paramref name="attempt"/> (0-based) timed out, with jitter.</summary>
    public TimeSpan PauseAfter(int attempt, TimeSpan timeout) => LookFirst
        // Traffic queued behind the attempt drains right after it gives up; a short pause lets it, then look again.
        ? TimeSpan.FromMilliseconds(Math.Min(timeout.TotalMilliseconds, 250) * (0.5 + (Random.Shared.NextDouble() / 2)))
        : BackoffLockPolicy.Backoff(attempt, FirstTimeout, RetryMaxDelay);
}
