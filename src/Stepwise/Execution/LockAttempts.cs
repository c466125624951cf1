using Npgsql;

namespace Stepwise.Execution;

/// <summary>One attempt of a lock-taking statement (or transaction): its 0-based number and what it locks, for the policy and for messages.</summary>
/// <param name="Number">0 for the first attempt.</param>
/// <param name="Target">The relation the statement locks (<c>schema.name</c>), when known.</param>
internal readonly record struct LockAttempt(int Number, string? Target);

/// <summary>
/// How a statement gets its locks: the lock_timeout each attempt runs under, and whether (and after how long) an
/// attempt that hit it is tried again. <see cref="LockAttempts"/> is the one place that asks; a policy that looks at
/// the lock holders first, adapts the timeout or keeps a deadline plugs in here.
/// </summary>
internal interface ILockPolicy
{
    /// <summary>Called before each attempt; returns the lock_timeout to run it under.</summary>
    ValueTask<TimeSpan> BeforeAttemptAsync(LockAttempt attempt, CancellationToken cancellationToken);

    /// <summary>Called when <paramref name="attempt"/> hit lock_timeout: how long to wait before the next one, or null to give up.</summary>
    TimeSpan? AfterTimeout(LockAttempt attempt);

    /// <summary>Called once the attempts are over, whatever their outcome (a policy that showed a wait clears it).</summary>
    ValueTask EndAsync() => ValueTask.CompletedTask;
}

/// <summary>A fixed lock_timeout, then up to <paramref name="retries"/> retries with exponential backoff and jitter.</summary>
internal sealed class BackoffLockPolicy(TimeSpan lockTimeout, int retries, TimeSpan baseDelay, TimeSpan maxDelay) : ILockPolicy
{
    public int Retries => retries;

    public ValueTask<TimeSpan> BeforeAttemptAsync(LockAttempt attempt, CancellationToken cancellationToken) => ValueTask.FromResult(lockTimeout);

    public TimeSpan? AfterTimeout(LockAttempt attempt) => attempt.Number < retries ? Backoff(attempt.Number, baseDelay, maxDelay) : null;

    /// <summary>Exponential backoff from <paramref name="baseDelay"/>, capped at <paramref name="maxDelay"/>, with jitter (half to all of it).</summary>
    internal static TimeSpan Backoff(int attempt, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        var cap = Math.Min(maxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, attempt));
        return TimeSpan.FromMilliseconds(cap * (0.5 + (Random.Shared.NextDouble() / 2)));
    }
}

/// <summary>The one loop in which a lock-taking statement is attempted, and retried when it hits lock_timeout (55P03).</summary>
internal static class LockAttempts
{
    /// <summary>
    /// Runs <paramref name="attempt"/> (given the lock_timeout to run under and the attempt) until it succeeds, fails
    /// otherwise, or the policy gives up; <paramref name="onRetry"/> hears of each retry (with the wait) before it.
    /// <paramref name="metricTag"/> tags the retry counter (the file, or the table of a backfill); <paramref name="alsoRetry"/>
    /// names a further SQLSTATE worth another attempt (a backfill batch chosen as a deadlock victim).
    /// </summary>
    public static async Task<T> RunAsync<T>(ILockPolicy policy, string? target, KeyValuePair<string, object?> metricTag, Func<TimeSpan, LockAttempt, Task<T>> attempt,
        Func<LockAttempt, PostgresException, TimeSpan, Task> onRetry, CancellationToken cancellationToken, string? alsoRetry = null)
    {
        try
        {
            for (var number = 0; ; number++)
            {
                var current = new LockAttempt(number, target);
                var timeout = await policy.BeforeAttemptAsync(current, cancellationToken);
                try
                {
                    return await attempt(timeout, current);
                }
                catch (PostgresException ex) when ((ex.SqlState == PostgresErrorCodes.LockNotAvailable || ex.SqlState == alsoRetry) && policy.AfterTimeout(current) is { } delay)
                {
                    StepwiseDiagnostics.LockTimeoutRetries.Add(1, metricTag);
                    await onRetry(current, ex, delay);
                    await Task.Delay(delay, cancellationToken);
                }
            }
        }
        finally
        {
            await policy.EndAsync();
        }
    }
}
