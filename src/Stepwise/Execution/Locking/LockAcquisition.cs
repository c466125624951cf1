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
/// The lock policy of one run: for each lock-taking statement it hands <see cref="LockAttempts"/> an
/// <see cref="ILockPolicy"/> (<see cref="For"/>) that, before each attempt, looks at who holds conflicting locks
/// (cancels a blocking autovacuum, waits out holders older than the bound instead of queueing behind them), then
/// gives a lock_timeout that starts short and rises toward what the table's own transactions take, never above the
/// bound; it keeps going until the deadline (then throws <see cref="LockDeadlineException"/> naming the blockers
/// seen), reporting every few seconds while it waits (in the log, to <paramref name="onWait"/>, and in the state schema of
/// <paramref name="history"/> until the wait ends). What it learns of a table serves later statements on it.
/// </summary>
internal sealed class LockAcquisition(NpgsqlConnection observer, LockPolicy policy, ILogger logger, Action<LockWait?>? onWait = null, HistoryStore? history = null)
{
    // The lock_timeout last used on each table: a later statement on the same table starts there.
    private readonly Dictionary<string, TimeSpan> _learned = new(StringComparer.Ordinal);
    private readonly NpgsqlConnection _observer = observer;
    private readonly Action<LockWait?>? _onWait = onWait;
    private bool _mayCancelAutovacuum = true;
    private TimeSpan? _deadlockTimeout;

    public LockPolicy Policy => policy;

    /// <summary>The policy for one statement (or transaction) about to take <paramref name="request"/>'s locks on the connection of pid <paramref name="requester"/>.</summary>
    public Request For(LockRequest request, int requester) => new(this, request, requester);

    /// <summary>One statement's attempts: what was seen, the current lock_timeout, the clock of its deadline.</summary>
    internal sealed class Request(LockAcquisition owner, LockRequest request, int requester) : ILockPolicy
    {
        private readonly LockPolicy _policy = request.Pinned is { } pinned ? owner.Policy.Pinned(pinned) : owner.Policy;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly Dictionary<int, LockHolder> _seen = [];
        private TimeSpan _nextReport = owner.Policy.ProgressInterval;
        private TimeSpan _timeout = request.Pinned is null && owner.Learned(request) is { } learned ? learned : (request.Pinned ?? owner.Policy.FirstTimeout);
        private TimeSpan _longestSeen;
        private IReadOnlyList<LockHolder> _holders = [];
        private LockWait? _unstored; // reported, not yet written to the state schema
        private bool _stored;
        private bool _reported;

        /// <summary>The sessions in the way at the last look, described for a log line; null when none were seen.</summary>
        public string? Blockers => _holders.Count == 0 ? null : string.Join("; ", _holders);

        public async ValueTask<TimeSpan> BeforeAttemptAsync(LockAttempt attempt, CancellationToken cancellationToken)
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await StoreReportedAsync(cancellationToken);
                _holders = _policy.LookFirst ? await LockHolders.ReadAsync(owner._observer, request.Targets, requester, cancellationToken) : [];
                foreach (var h in _holders)
                {
                    _seen[h.Pid] = h;
                    if (h.TransactionAge < _policy.MaxLockWait && h.Kind is HolderKind.Active or HolderKind.IdleInTransaction && h.TransactionAge > _longestSeen)
                    {
                        _longestSeen = h.TransactionAge;
                    }
                }
                if (_clock.Elapsed >= _policy.Deadline)
                {
                    throw Deadline(request, _policy, _clock.Elapsed, _seen.Values, $"the lock deadline ({LockHolder.Seconds(_policy.Deadline)})");
                }
                // deadlock_timeout matters only with an autovacuum in the way: no round trip for it otherwise.
                var deadlockTimeout = _holders.Any(h => h.Kind == HolderKind.Autovacuum) ? await owner.DeadlockTimeoutAsync(cancellationToken) : TimeSpan.FromSeconds(1);
                var action = LockDecision.Decide(_holders, _policy, _timeout, owner._mayCancelAutovacuum, deadlockTimeout);
                switch (action)
                {
                    case LockAction.CancelAutovacuum cancel:
                        await owner.CancelAutovacuumAsync(request, cancel.Holder, cancellationToken);
                        continue;
                    case LockAction.TerminateIdle terminate:
                        await owner.TerminateAsync(request, terminate.Holder, cancellationToken);
                        continue;
                    case LockAction.WaitOut wait:
                        ReportIfDue("waiting for them to finish rather than queueing behind them: " + string.Join("; ", wait.Holders));
                        await Task.Delay(_policy.PollInterval, cancellationToken);
                        continue;
                }
                var use = ((LockAction.Attempt)action).Timeout;
                if (request.Pinned is null)
                {
                    foreach (var target in request.Targets)
                    {
                        owner._learned[target.Relation] = _timeout;
                    }
                }
                return use;
            }
        }

        public TimeSpan? AfterTimeout(LockAttempt attempt)
        {
            if (_policy.MaxRetries is { } max && attempt.Number >= max)
            {
                return null;
            }
            var pause = _policy.PauseAfter(attempt.Number, _timeout);
            _timeout = _policy.Raise(_timeout, _longestSeen);
            ReportIfDue($"lock_timeout now {(long)_timeout.TotalMilliseconds} ms");
            return pause;
        }

        /// <summary>The wait is over (the locks were taken, or the attempts ended): the state schema stops showing it.</summary>
        public async ValueTask EndAsync()
        {
            _unstored = null;
            if (_reported)
            {
                _reported = false;
                owner._onWait?.Invoke(null);
            }
            if (_stored)
            {
                _stored = false;
                await owner.StoreAsync(null, CancellationToken.None);
            }
        }

        private void ReportIfDue(string detail)
        {
            if (_clock.Elapsed >= _nextReport)
            {
                _unstored = owner.Report(request, _holders, _clock.Elapsed, _policy, detail, requester);
                _reported = true;
                _nextReport = _clock.Elapsed + _policy.ProgressInterval;
            }
        }

        // Written before the next look rather than where reported: no attempt (nor its blocker watch) is using the observer then.
        private async ValueTask StoreReportedAsync(CancellationToken cancellationToken)
        {
            if (_unstored is { } wait)
            {
                _unstored = null;
                _stored |= await owner.StoreAsync(wait, cancellationToken);
            }
        }
    }

    /// <summary>Writes (or clears) the state schema's lock wait; true when written. Diagnostics only: a failure never fails the migration.</summary>
    private async Task<bool> StoreAsync(LockWait? wait, CancellationToken cancellationToken)
    {
        if (history is null)
        {
            return false;
        }
        try
        {
            await HistoryStore.RunAsync(_observer, [history.LockWait(wait?.ToJson())], cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            logger.LogDebug(EventIds.LockWaiting, "could not record the lock wait in the state schema: {Message}", ex.Message);
            return false;
        }
    }


    private TimeSpan? Learned(LockRequest request) =>
        request.Targets.Select(t => _learned.TryGetValue(t.Relation, out var v) ? v : (TimeSpan?)null).Max();

    private LockWait Report(LockRequest request, IReadOnlyList<LockHolder> holders, TimeSpan elapsed, LockPolicy effective, string detail, int requester)
    {
        var oldest = holders.Count == 0 ? null : holders[0];
        var line = $"waiting for a quiet moment on {(request.Targets.Count == 0 ? "its tables" : string.Join(", ", request.Targets.Select(t => t.Display).Distinct()))}: "
            + (oldest is null ? "no transaction holds a conflicting lock right now" : $"{holders.Count} transaction(s) hold conflicting locks, oldest {LockHolder.Seconds(oldest.TransactionAge)}, pid {oldest.Pid}, app '{oldest.Application}'")
            + $"; {detail} ({LockHolder.Seconds(elapsed)} of the {LockHolder.Seconds(effective.Deadline)} lock deadline)";
        logger.LogInformation(EventIds.LockWaiting, "{Where}: {Line}", request.Where, line);
        var wait = new LockWait(request.Where, line, DateTimeOffset.UtcNow - elapsed, holders, [.. request.Targets.Select(t => t.Display).Distinct()], requester);
        _onWait?.Invoke(wait);
        return wait;
    }

    private async Task CancelAutovacuumAsync(LockRequest request, LockHolder holder, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_cancel_backend($1)", _observer);
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
        await using var command = new NpgsqlCommand("SELECT pg_terminate_backend($1)", _observer);
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
            await using var command = new NpgsqlCommand("SELECT setting::int FROM pg_settings WHERE name = 'deadlock_timeout'", _observer);
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

/// <summary>A statement did not get its locks before the lock deadline; the message names the blockers seen.</summary>
internal sealed class LockDeadlineException(string message, Exception? inner) : Exception(message, inner);
