using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Stepwise.Execution.Locking;

/// <summary>A statement (or transaction) about to take locks: where it is, for messages, and what it locks.</summary>
/// <param name="File">The migration file, for metrics.</param>
/// <param name="Where">For log lines and errors: <c>20240101_add.yaml: add column public.t.c</c>.</param>
/// <param name="Targets">The relations it locks and the mode on each.</param>
/// <param name="Pinned">A lock_timeout the file pins (its directive), instead of the adaptive one.</param>
internal sealed record LockRequest(string File, string Where, IReadOnlyList<LockTarget> Targets, TimeSpan? Pinned = null)
{
    /// <summary>For messages: <c>ACCESS EXCLUSIVE on public.t</c>, or <c>its locks</c> when they are not known.</summary>
    public string Describe() => Targets.Count == 0 ? "its locks" : string.Join(", ", Targets);
}

/// <summary>
/// The one way a lock-taking statement gets its locks: look at who holds conflicting locks (cancel a blocking
/// autovacuum, wait out holders older than the bound instead of queueing behind them), then queue with a
/// lock_timeout that starts short and rises toward what the table's own transactions take, never above the
/// bound; retry until the deadline, reporting every few seconds while it waits. The runner supplies the attempt:
/// it runs the statement with the lock_timeout it is given and lets a 55P03 through.
/// </summary>
internal sealed class LockAcquisition(NpgsqlConnection observer, LockPolicy policy, ILogger logger, Action<LockWait?>? onWait = null)
{
    // What a table's transactions were seen to take, and the lock_timeout that last got through on it: a later
    // statement on the same table starts there.
    private readonly Dictionary<string, TimeSpan> _learned = new(StringComparer.Ordinal);
    private bool _mayCancelAutovacuum = true;
    private TimeSpan? _deadlockTimeout;

    public LockPolicy Policy => policy;

    /// <summary>Runs <paramref name="attempt"/> until it gets its locks, or throws <see cref="LockDeadlineException"/> at the deadline (or after the policy's retries).</summary>
    /// <param name="request">What the statement locks.</param>
    /// <param name="requester">The backend pid of the connection the attempt runs on.</param>
    /// <param name="attempt">Runs the statement with the given lock_timeout; a <see cref="PostgresException"/> 55P03 means it timed out.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task RunAsync(LockRequest request, int requester, Func<TimeSpan, CancellationToken, Task> attempt, CancellationToken cancellationToken)
    {
        var effective = request.Pinned is { } pinned ? policy.Pinned(pinned) : policy;
        var clock = Stopwatch.StartNew();
        var nextReport = effective.ProgressInterval;
        var timeout = Learned(request) is { } learned && request.Pinned is null ? learned : effective.FirstTimeout;
        var seen = new Dictionary<int, LockHolder>();
        var longestSeen = TimeSpan.Zero;
        var retries = 0;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var holders = effective.LookFirst ? await LockHolders.ReadAsync(observer, request.Targets, requester, cancellationToken) : [];
                foreach (var h in holders)
                {
                    seen[h.Pid] = h;
                    if (h.TransactionAge < effective.MaxLockWait && h.Kind is HolderKind.Active or HolderKind.IdleInTransaction)
                    {
                        longestSeen = h.TransactionAge > longestSeen ? h.TransactionAge : longestSeen;
                    }
                }
                if (clock.Elapsed >= effective.Deadline)
                {
                    throw Deadline(request, effective, clock.Elapsed, seen.Values, $"the lock deadline ({LockHolder.Seconds(effective.Deadline)})");
                }
                var action = LockDecision.Decide(holders, effective, timeout, _mayCancelAutovacuum, await DeadlockTimeoutAsync(cancellationToken));
                switch (action)
                {
                    case LockAction.CancelAutovacuum cancel:
                        await CancelAutovacuumAsync(request, cancel.Holder, cancellationToken);
                        continue;
                    case LockAction.TerminateIdle terminate:
                        await TerminateAsync(request, terminate.Holder, cancellationToken);
                        continue;
                    case LockAction.WaitOut wait:
                        if (clock.Elapsed >= nextReport)
                        {
                            Report(request, holders, clock.Elapsed, effective, "waiting for them to finish rather than queueing behind them: " + string.Join("; ", wait.Holders));
                            nextReport = clock.Elapsed + effective.ProgressInterval;
                        }
                        await Task.Delay(effective.PollInterval, cancellationToken);
                        continue;
                }
                var use = ((LockAction.Attempt)action).Timeout;
                await using var watch = holders.Count == 0 ? BlockingSessions.Watch(observer, requester, use) : null;
                try
                {
                    await attempt(use, cancellationToken);
                    if (request.Pinned is null)
                    {
                        foreach (var target in request.Targets)
                        {
                            _learned[target.Relation] = timeout;
                        }
                    }
                    return;
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable)
                {
                    var blockers = holders.Count > 0 ? string.Join("; ", holders) : watch?.Last;
                    if (effective.MaxRetries is { } max && retries >= max)
                    {
                        throw Deadline(request, effective, clock.Elapsed, seen.Values, $"{max} retries", ex, blockers);
                    }
                    var pause = effective.PauseAfter(retries, use);
                    StepwiseDiagnostics.LockTimeoutRetries.Add(1, new KeyValuePair<string, object?>(StepwiseDiagnostics.FileTag, request.File));
                    logger.LogWarning(EventIds.LockTimeoutRetry, "{Where} waited lock_timeout ({Timeout} ms) for {Locks}{Blockers}; retry {Attempt} in {Delay} ms ({Elapsed} of the {Deadline} lock deadline)",
                        request.Where, (long)use.TotalMilliseconds, request.Describe(), blockers is null ? "" : $"; blocked by {blockers}", retries + 1, (long)pause.TotalMilliseconds,
                        LockHolder.Seconds(clock.Elapsed), LockHolder.Seconds(effective.Deadline));
                    retries++;
                    timeout = effective.Raise(timeout, longestSeen);
                    if (clock.Elapsed >= nextReport)
                    {
                        Report(request, holders, clock.Elapsed, effective, $"lock_timeout now {(long)timeout.TotalMilliseconds} ms");
                        nextReport = clock.Elapsed + effective.ProgressInterval;
                    }
                    await Task.Delay(pause, cancellationToken);
                }
            }
        }
        finally
        {
            if (clock.Elapsed >= effective.ProgressInterval)
            {
                onWait?.Invoke(null);
            }
        }
    }

    private TimeSpan? Learned(LockRequest request) =>
        request.Targets.Select(t => _learned.TryGetValue(t.Relation, out var v) ? v : (TimeSpan?)null).Max();

    private void Report(LockRequest request, IReadOnlyList<LockHolder> holders, TimeSpan elapsed, LockPolicy effective, string detail)
    {
        var oldest = holders.Count == 0 ? null : holders[0];
        var line = $"waiting for a quiet moment on {(request.Targets.Count == 0 ? "its tables" : string.Join(", ", request.Targets.Select(t => t.Display).Distinct()))}: "
            + (oldest is null ? "no transaction holds a conflicting lock right now" : $"{holders.Count} transaction(s) hold conflicting locks, oldest {LockHolder.Seconds(oldest.TransactionAge)}, pid {oldest.Pid}, app '{oldest.Application}'")
            + $"; {detail} ({LockHolder.Seconds(elapsed)} of the {LockHolder.Seconds(effective.Deadline)} lock deadline)";
        logger.LogInformation(EventIds.LockWaiting, "{Where}: {Line}", request.Where, line);
        onWait?.Invoke(new LockWait(request.Where, line, DateTimeOffset.UtcNow - elapsed, [.. holders]));
    }

    private async Task CancelAutovacuumAsync(LockRequest request, LockHolder holder, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_cancel_backend($1)", observer);
            command.Parameters.AddWithValue(holder.Pid);
            await command.ExecuteScalarAsync(cancellationToken);
            logger.LogWarning(EventIds.AutovacuumCancelled, "{Where}: cancelled the autovacuum of {Relation} (pid {Pid}) that held a conflicting lock, as PostgreSQL itself would after deadlock_timeout; it runs again later",
                request.Where, holder.Relation, holder.Pid);
            await Task.Delay(policy.PollInterval / 2, cancellationToken); // let it release its lock
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            _mayCancelAutovacuum = false;
            logger.LogWarning(EventIds.AutovacuumCancelled, "{Where}: may not cancel the autovacuum of {Relation} (pid {Pid}): {Message}. Only superusers may signal autovacuum workers (PostgreSQL 16-17, and 15 from 15.5), or members of pg_signal_autovacuum_worker (18); {Fallback}",
                request.Where, holder.Relation, holder.Pid, ex.MessageText,
                policy.MaxLockWait >= await DeadlockTimeoutAsync(cancellationToken) + LockDecision.QueuePastDeadlockTimeout
                    ? "queueing just past deadlock_timeout instead, so that PostgreSQL cancels it"
                    : "waiting for it to finish instead (a --max-lock-wait above deadlock_timeout would let PostgreSQL cancel it)");
        }
    }

    private async Task TerminateAsync(LockRequest request, LockHolder holder, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_terminate_backend($1)", observer);
        command.Parameters.AddWithValue(holder.Pid);
        await command.ExecuteScalarAsync(cancellationToken);
        logger.LogWarning(EventIds.IdleSessionTerminated, "{Where}: terminated {Holder}: idle in transaction longer than {Bound} while holding a conflicting lock",
            request.Where, holder, LockHolder.Seconds(policy.TerminateIdleAfter ?? TimeSpan.Zero));
        await Task.Delay(policy.PollInterval / 2, cancellationToken);
    }

    private async Task<TimeSpan> DeadlockTimeoutAsync(CancellationToken cancellationToken)
    {
        if (_deadlockTimeout is null)
        {
            await using var command = new NpgsqlCommand("SELECT setting::int FROM pg_settings WHERE name = 'deadlock_timeout'", observer);
            _deadlockTimeout = TimeSpan.FromMilliseconds(await command.ExecuteScalarAsync(cancellationToken) as int? ?? 1000);
        }
        return _deadlockTimeout.Value;
    }

    private static LockDeadlineException Deadline(LockRequest request, LockPolicy effective, TimeSpan elapsed, IEnumerable<LockHolder> seen, string limit, Exception? inner = null, string? lastBlockers = null)
    {
        var blockers = seen.Select(h => h.ToString()).ToList();
        if (blockers.Count == 0 && lastBlockers is not null)
        {
            blockers.Add(lastBlockers);
        }
        return new LockDeadlineException(
            $"could not get {request.Describe()} within {limit} (waited {LockHolder.Seconds(elapsed)}, lock_timeout up to {(long)effective.MaxLockWait.TotalMilliseconds} ms); "
            + (blockers.Count == 0 ? "no blocker was seen" : "blockers seen: " + string.Join("; ", blockers)), inner);
    }
}

/// <summary>A statement waiting for its locks, as reported every few seconds.</summary>
/// <param name="Where">The statement.</param>
/// <param name="Line">The progress line: who is in the way, for how long.</param>
/// <param name="Since">When the wait began.</param>
/// <param name="Holders">The sessions holding conflicting locks at the last look.</param>
public sealed record LockWait(string Where, string Line, DateTimeOffset Since, IReadOnlyList<string> Holders)
{
    internal LockWait(string where, string line, DateTimeOffset since, LockHolder[] holders) : this(where, line, since, [.. holders.Select(h => h.ToString())])
    {
    }
}

/// <summary>A statement did not get its locks before the lock deadline; the message names the blockers seen.</summary>
internal sealed class LockDeadlineException(string message, Exception? inner) : Exception(message, inner);
