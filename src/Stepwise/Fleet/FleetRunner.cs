using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Stepwise.Connections;
using Stepwise.Diagnostics;
using Stepwise.Execution;
using Stepwise.Migrations;

namespace Stepwise.Fleet;

/// <summary>
/// Runs one action (apply, complete, rollback) across many databases from one migration directory: first every target's
/// own history is read (the truth), targets already where the action leads are left alone, then the canary (the first
/// targets, one by one, all must succeed), then waves of growing size with bounded parallelism, stopping when the error
/// budget is spent. Each target is migrated by its own <see cref="Migrator"/> exactly as <c>stepwise apply</c> would (its
/// own history, its own migration lock); the fleet state is a cache rewritten from the targets' history, so a re-run
/// continues where a stopped or killed one left off.
/// </summary>
public sealed class FleetRunner
{
    private readonly IReadOnlyList<FleetTarget> _targets;
    private readonly FleetOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _progressGate = new();

    /// <summary>A runner for <paramref name="targets"/> (in order: the first ones are the canary); nothing connects until a method is called.</summary>
    public FleetRunner(IReadOnlyList<FleetTarget> targets, FleetOptions options)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (targets.Count == 0)
        {
            throw new ArgumentException("a fleet needs at least one target", nameof(targets));
        }
        if (targets.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new ArgumentException($"two targets are named {duplicate.Key}: the fleet state tells targets apart by name", nameof(targets));
        }
        _targets = targets;
        _options = options;
        _logger = options.Logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Reads every target's history (no migration lock, changes nothing in them) and rewrites the fleet state's picture of each
    /// from it (unless a run of the fleet holds the state: then it is only read). Each target comes with the state's record of its last turn.
    /// </summary>
    public async Task<IReadOnlyList<(FleetTarget Target, FleetTargetStatus Status, FleetTargetState? Last)>> StatusAsync(CancellationToken cancellationToken = default)
    {
        using var activity = FleetDiagnostics.Start("stepwise.fleet.status", null);
        LoadDirectory();
        // The state is rewritten from the targets' history unless a run holds it (that run keeps it current).
        var (state, write) = (FleetState.Empty, false);
        if (_options.State is { } store)
        {
            try
            {
                (state, write) = (await store.LoadAsync(exclusive: true, cancellationToken), true);
            }
            catch (MigrationLockBusyException)
            {
                state = await store.LoadAsync(exclusive: false, cancellationToken);
            }
        }
        var reports = await ReadAllAsync(cancellationToken);
        var result = new List<(FleetTarget, FleetTargetStatus, FleetTargetState?)>();
        foreach (var target in _targets)
        {
            var status = Status(reports[target]);
            var last = state.Targets.GetValueOrDefault(target.Name);
            var now = last is null ? Record(target, status, null) : last with { Version = status.Version, State = status.State, Migration = status.Migration, UpdatedAt = DateTimeOffset.UtcNow };
            if (write)
            {
                await SaveAsync(now, cancellationToken);
            }
            result.Add((target, status, last));
        }
        return result;
    }

    /// <summary>Runs <paramref name="action"/> across the fleet.</summary>
    /// <exception cref="MigrationRefusedException">Nothing was run: the directory has errors, or (complete) a target's start has not succeeded.</exception>
    /// <exception cref="MigrationLockBusyException">Another run of this fleet holds the fleet state's lock.</exception>
    public async Task<FleetResult> RunAsync(FleetAction action, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        using var activity = FleetDiagnostics.Start("stepwise.fleet", action);
        activity?.SetTag("stepwise.fleet.targets", _targets.Count);
        var directory = LoadDirectory();
        var state = _options.State is { } store ? await store.LoadAsync(exclusive: true, cancellationToken) : FleetState.Empty;
        var reports = await ReadAllAsync(cancellationToken);
        var (goal, work) = Plan(action, directory, reports);

        var results = new FleetTargetResult?[_targets.Count];
        var index = _targets.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i);
        foreach (var target in _targets.Where(t => work[t] != Work.Run))
        {
            var status = Status(reports[target]);
            var result = new FleetTargetResult(target, work[target] == Work.Skip ? FleetOutcome.Skipped : FleetOutcome.Unchanged, null, status, null, [], TimeSpan.Zero,
                state.Targets.GetValueOrDefault(target.Name)?.Attempt ?? 0);
            results[index[target]] = result;
            await SaveAsync(Record(target, status, state.Targets.GetValueOrDefault(target.Name)) with
            {
                Outcome = FleetDiagnostics.OutcomeName(result.Outcome),
                Goal = state.Targets.GetValueOrDefault(target.Name)?.Goal ?? goal,
            }, cancellationToken);
            FleetDiagnostics.Record(action, result);
        }

        var queue = _targets.Where(t => work[t] == Work.Run).ToList();
        var canaryPassed = state.Run is { } previous && previous.Goal == goal && previous.CanaryPassed;
        if (canaryPassed && queue.Count > 0)
        {
            _logger.LogInformation(EventIds.MigrationStarting, "the canary of this change passed in the run of {StartedAt:u}: continuing with the waves ({Count} target(s) left)",
                state.Run!.StartedAt, queue.Count);
        }
        var run = new FleetRunState(FleetDiagnostics.Name(action), goal, canaryPassed, DateTimeOffset.UtcNow, null, null);
        await SaveRunAsync(run, cancellationToken);

        List<FleetTarget> canary = canaryPassed ? [] : [.. queue.Take(_options.Canary)];
        var waves = new List<FleetWave>();
        var failures = 0;
        FleetStop? stop = null;
        async Task<FleetTargetResult> TurnAsync(FleetTarget target, int wave)
        {
            var result = await RunTargetAsync(action, target, wave, goal, Status(reports[target]), state.Targets.GetValueOrDefault(target.Name), cancellationToken);
            results[index[target]] = result;
            return result;
        }

        if (canary.Count > 0)
        {
            waves.Add(new FleetWave(0, [.. canary.Select(t => t.Name)]));
            using var waveActivity = StartWave(action, 0, canary.Count);
            var (done, failed) = (0, 0);
            foreach (var target in canary)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                Report(new FleetProgress(FleetProgressKind.TargetStarting, 0, canary.Count, done, failed, target.Name));
                var result = await TurnAsync(target, 0);
                done++;
                failed += result.Outcome == FleetOutcome.Failed ? 1 : 0;
                Report(new FleetProgress(FleetProgressKind.TargetFinished, 0, canary.Count, done, failed, target.Name, result));
                if (result.Outcome == FleetOutcome.Failed)
                {
                    failures++;
                    stop = new FleetStop(FleetStopReason.CanaryFailed, $"canary {target.Name} failed: {result.Error}; no wave ran", [target.Name]);
                    break;
                }
            }
            Report(new FleetProgress(FleetProgressKind.WaveFinished, 0, canary.Count, done, failed));
            if (stop is null && !cancellationToken.IsCancellationRequested)
            {
                run = run with { CanaryPassed = true };
                await SaveRunAsync(run, cancellationToken);
            }
        }

        var next = canary.Count;
        var size = _options.FirstWave ?? _options.Parallelism;
        for (var wave = 1; stop is null && next < queue.Count && !cancellationToken.IsCancellationRequested; wave++)
        {
            var members = queue.Skip(next).Take(size).ToList();
            waves.Add(new FleetWave(wave, [.. members.Select(t => t.Name)]));
            using var waveActivity = StartWave(action, wave, members.Count);
            var (done, failed) = (0, 0);
            var w = wave;
            await Parallel.ForEachAsync(members, new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism }, async (target, _) =>
            {
                if (cancellationToken.IsCancellationRequested || BudgetSpent(Volatile.Read(ref failures)))
                {
                    return; // not run: its result is filled in below
                }
                Report(new FleetProgress(FleetProgressKind.TargetStarting, w, members.Count, Volatile.Read(ref done), Volatile.Read(ref failed), target.Name));
                var result = await TurnAsync(target, w);
                var failedNow = result.Outcome == FleetOutcome.Failed ? Interlocked.Increment(ref failed) : Volatile.Read(ref failed);
                if (result.Outcome == FleetOutcome.Failed)
                {
                    Interlocked.Increment(ref failures);
                }
                Report(new FleetProgress(FleetProgressKind.TargetFinished, w, members.Count, Interlocked.Increment(ref done), failedNow, target.Name, result));
            });
            Report(new FleetProgress(FleetProgressKind.WaveFinished, wave, members.Count, done, failed));
            if (BudgetSpent(failures))
            {
                var names = _targets.Select(t => results[index[t]]).Where(r => r is { Outcome: FleetOutcome.Failed }).Select(r => r!.Target.Name).ToList();
                stop = new FleetStop(FleetStopReason.ErrorBudget, $"{failures} target(s) failed ({string.Join(", ", names)}), which spends the error budget ({Budget()}); no further target was started", names);
            }
            next += members.Count;
            size = (int)Math.Min(int.MaxValue, Math.Ceiling(size * _options.WaveGrowth));
        }
        if (stop is null && cancellationToken.IsCancellationRequested)
        {
            stop = new FleetStop(FleetStopReason.Cancelled, "cancelled: targets already running were stopped where their history says; run again to continue",
                [.. _targets.Select(t => results[index[t]]).Where(r => r is { Outcome: FleetOutcome.Failed }).Select(r => r!.Target.Name)]);
        }

        foreach (var target in queue.Where(t => results[index[t]] is null))
        {
            var last = state.Targets.GetValueOrDefault(target.Name);
            var status = Status(reports[target]);
            var result = new FleetTargetResult(target, FleetOutcome.NotRun, null, status, null, [], TimeSpan.Zero, last?.Attempt ?? 0);
            results[index[target]] = result;
            await SaveAsync(Record(target, status, last) with { Outcome = "not run", Goal = goal }, CancellationToken.None);
            FleetDiagnostics.Record(action, result);
        }
        if (stop is not null)
        {
            _logger.LogWarning(EventIds.MigrationFailed, "fleet stopped: {Reason}", stop.Message);
            Report(new FleetProgress(FleetProgressKind.Stopped, waves.Count == 0 ? 0 : waves[^1].Index, 0, 0, 0, Stop: stop));
            activity?.SetStatus(ActivityStatusCode.Error, stop.Message);
        }
        await SaveRunAsync(run with { FinishedAt = DateTimeOffset.UtcNow, Stop = stop?.Message }, CancellationToken.None);
        return new FleetResult(action, [.. results.Select(r => r!)], waves, stop, clock.Elapsed) { Goal = goal };
    }

    private enum Work
    {
        Run,
        Nothing,
        Skip,
    }

    /// <summary>What the action means for each target, from its history: run, nothing to do, or (complete --allow-partial) leave alone.</summary>
    private (string Goal, Dictionary<FleetTarget, Work> Work) Plan(FleetAction action, MigrationDirectory directory, Dictionary<FleetTarget, TargetRead> reports)
    {
        switch (action)
        {
            case FleetAction.Apply:
            {
                var request = _options.Apply;
                var to = request.ToVersion ?? directory.Versioned.Select(m => m.Version).DefaultIfEmpty(0).Max();
                return ($"apply to {to}{(request.Complete ? " with complete" : "")}",
                    _targets.ToDictionary(t => t, t => reports[t].Report is { } r && !NeedsApply(r, request) ? Work.Nothing : Work.Run));
            }
            case FleetAction.Rollback:
            {
                return (_options.RollbackTo is { } to ? $"rollback to {to}" : "rollback the started operation migration",
                    _targets.ToDictionary(t => t, t => reports[t].Report is { } r && !NeedsRollback(r, _options.RollbackTo) ? Work.Nothing : Work.Run));
            }
            default:
                return PlanComplete(reports);
        }
    }

    /// <summary>
    /// Complete runs where the operation migration is started (or completing), and only when its start succeeded on every target
    /// (or <see cref="FleetOptions.AllowPartial"/>): a complete on some databases while others still run the old code's schema is a
    /// decision to take knowingly.
    /// </summary>
    private (string Goal, Dictionary<FleetTarget, Work> Work) PlanComplete(Dictionary<FleetTarget, TargetRead> reports)
    {
        var started = reports.Values.Where(r => r.Report is not null)
            .SelectMany(r => r.Report!.Entries.Where(e => e.Migration is { IsOperationMigration: true } && e.History?.Status is HistoryStatus.Started or HistoryStatus.Completing))
            .Select(e => e.File).Distinct(StringComparer.Ordinal).ToList();
        if (started.Count > 1)
        {
            throw new MigrationRefusedException($"the targets have different operation migrations started ({string.Join(", ", started)}): complete them one at a time with stepwise complete on each, or roll back the odd ones");
        }
        if (started.Count == 0)
        {
            var notComplete = _targets.Where(t => reports[t].Report is not { } r || r.Entries.LastOrDefault(e => e.Migration is { IsOperationMigration: true }) is not { State: MigrationState.Applied }).ToList();
            if (notComplete.Count == 0)
            {
                return ("complete", _targets.ToDictionary(t => t, _ => Work.Nothing));
            }
            throw new MigrationRefusedException("no operation migration is started on any target: nothing to complete (stepwise fleet status shows where each stands)");
        }
        var file = started[0];
        var work = new Dictionary<FleetTarget, Work>();
        var problems = new List<MigrationProblem>();
        foreach (var target in _targets)
        {
            var entry = reports[target].Report?.Entries.FirstOrDefault(e => e.File == file);
            if (entry?.History?.Status is HistoryStatus.Started or HistoryStatus.Completing)
            {
                work[target] = Work.Run;
            }
            else if (entry is { State: MigrationState.Applied })
            {
                work[target] = Work.Nothing;
            }
            else
            {
                work[target] = Work.Skip;
                var why = reports[target].Error is { } error ? $"could not be read ({error})" : $"has {file} {(entry?.History is { } h ? h.Status.Text() : "not started")}";
                problems.Add(new MigrationProblem(Severity.Error, "start-not-succeeded", target.Name, 0, 0,
                    $"{target.Name} {why}: its start did not succeed, so completing elsewhere would leave the fleet on two schemas",
                    "run stepwise fleet apply until every start succeeds (or roll back), or complete only where started with --allow-partial"));
            }
        }
        if (problems.Count > 0 && !_options.AllowPartial)
        {
            throw new MigrationRefusedException($"complete refused: {problems.Count} of {_targets.Count} target(s) did not start {file}; nothing was completed", problems);
        }
        return ($"complete {file}", work);
    }

    /// <summary>Would an apply do anything here? Anything not applied counts, up to a started operation migration (later ones wait for it).</summary>
    private static bool NeedsApply(StatusReport report, ApplyRequest request)
    {
        foreach (var entry in report.Entries)
        {
            if (entry.Version > 0 && request.ToVersion is { } to && entry.Version > to)
            {
                continue;
            }
            if (entry.State == MigrationState.Started)
            {
                if (request.Complete)
                {
                    return true;
                }
                return false; // later migrations wait for its complete: nothing for apply to do
            }
            if (entry.State == MigrationState.MissingFile && entry.History is { IsRepeatable: true })
            {
                continue; // apply leaves a repeatable migration whose file is gone alone
            }
            if (entry.State == MigrationState.OutOfOrder && !request.AllowOutOfOrder)
            {
                return true; // apply refuses, naming it: the fleet reports that as the target's failure
            }
            if (entry.State != MigrationState.Applied)
            {
                return true;
            }
        }
        return false;
    }

    private static bool NeedsRollback(StatusReport report, long? to) =>
        report.Entries.Any(e => e.Migration is { IsOperationMigration: true } && e.History?.Status is { } s && s.IsOperationPhase())
        || (to is { } v && report.Entries.Any(e => e.Version > v && e.History is { IsRepeatable: false, Status: HistoryStatus.Applied or HistoryStatus.Reverting or HistoryStatus.Partial }));

    /// <summary>One target's turn: its migrator runs the action; whatever happens, its history is read again for the record.</summary>
    private async Task<FleetTargetResult> RunTargetAsync(FleetAction action, FleetTarget target, int wave, string goal, FleetTargetStatus before, FleetTargetState? last,
        CancellationToken cancellationToken)
    {
        using var activity = FleetDiagnostics.Start("stepwise.fleet.target", action);
        activity?.SetTag(FleetDiagnostics.TargetTag, target.Name);
        activity?.SetTag(FleetDiagnostics.WaveTag, wave);
        var attempt = last?.Goal == goal ? last.Attempt + 1 : 1;
        var startedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        await SaveAsync(Record(target, before, last) with
        {
            Goal = goal, Outcome = "running", Error = null, Attempt = attempt, Wave = wave,
            StartedAt = startedAt, FinishedAt = null, DurationMs = null, UpdatedAt = startedAt,
        }, cancellationToken);
        var migrator = new Migrator(TargetOptions(target));
        IReadOnlyList<MigrationRun> runs = [];
        string? error = null;
        try
        {
            runs = action switch
            {
                FleetAction.Apply => (await migrator.ApplyAsync(_options.Apply, cancellationToken)).Runs,
                FleetAction.Complete => (await migrator.CompleteAsync(dryRun: false, cancellationToken)).Runs,
                _ => await RollbackAsync(migrator, cancellationToken),
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException || cancellationToken.IsCancellationRequested)
        {
            error = Describe(ex, target);
            activity?.SetStatus(ActivityStatusCode.Error, error);
            _logger.LogWarning(EventIds.MigrationFailed, "{Target}: {Error}", target.Name, error);
        }
        var elapsed = clock.Elapsed;
        var status = Status(await ReadAsync(target, CancellationToken.None));
        var outcome = error is null ? FleetOutcome.Succeeded : FleetOutcome.Failed;
        activity?.SetTag(FleetDiagnostics.OutcomeTag, FleetDiagnostics.OutcomeName(outcome));
        var result = new FleetTargetResult(target, outcome, wave, status, error, runs, elapsed, attempt);
        await SaveAsync(Record(target, status, null) with
        {
            Goal = goal, Outcome = FleetDiagnostics.OutcomeName(outcome), Error = error, Attempt = attempt, Wave = wave,
            StartedAt = startedAt, FinishedAt = DateTimeOffset.UtcNow, DurationMs = (long)elapsed.TotalMilliseconds,
        }, CancellationToken.None);
        FleetDiagnostics.Record(action, result);
        return result;
    }

    /// <summary>Rollback: the started operation migration is aborted first; with a version to go back to, down sections follow.</summary>
    private async Task<IReadOnlyList<MigrationRun>> RollbackAsync(Migrator migrator, CancellationToken cancellationToken)
    {
        if (_options.RollbackTo is not { } to)
        {
            var report = await migrator.StatusAsync(cancellationToken);
            return report.Entries.Any(e => e.Migration is { IsOperationMigration: true } && e.History?.Status is { } s && s.IsOperationPhase())
                ? (await migrator.RollbackAsync(null, null, dryRun: false, cancellationToken)).Runs
                : [];
        }
        var runs = new List<MigrationRun>();
        var first = await migrator.RollbackAsync(to, null, dryRun: false, cancellationToken);
        runs.AddRange(first.Runs);
        if (first.Runs is [{ Section: null }])
        {
            // That was the started operation migration's abort: now the down sections.
            runs.AddRange((await migrator.RollbackAsync(to, null, dryRun: false, cancellationToken)).Runs);
        }
        return runs;
    }

    private MigratorOptions TargetOptions(FleetTarget target)
    {
        var options = new MigratorOptions
        {
            Database = target.Database.ConnectionString,
            Directory = _options.Directory,
            StateSchema = _options.StateSchema,
            Logger = new TargetLogger(_logger, target.Name),
        };
        _options.ConfigureTarget?.Invoke(target, options);
        return options;
    }

    /// <summary>A failure as one message: the file:line:col of a failed migration, a refusal's problems, a connection's error; never a password.</summary>
    private static string Describe(Exception ex, FleetTarget target)
    {
        var text = ex switch
        {
            MigrationFailedException f => $"{Path.GetFileName(f.File)}:{f.Line}:{f.Column}: {f.Message}",
            MigrationRefusedException r => r.Problems.Count == 0 ? r.Message : $"{r.Message}: {string.Join("; ", r.Problems.Select(p => $"{Path.GetFileName(p.File)}: {p.Message}"))}",
            PostgresException p => $"database error {p.SqlState}: {p.MessageText}",
            NpgsqlException n => $"cannot reach the database: {n.Message}{(n.InnerException is { } inner ? $" ({inner.Message})" : "")}",
            OperationCanceledException => "cancelled; its history says where it stopped, and the next run resumes it",
            _ => ex.Message,
        };
        if (target.Database.Password is { } password)
        {
            text = text.Replace(password, "***", StringComparison.Ordinal);
        }
        return DatabaseTarget.Redact(text);
    }

    private bool BudgetSpent(int failures) =>
        (_options.MaxFailures is { } most && failures >= most)
        || (_options.MaxFailureRate is { } rate && failures >= Math.Max(1, Math.Ceiling(rate * _targets.Count)));

    private string Budget() => string.Join(" or ", new[]
    {
        _options.MaxFailures is { } n ? $"{n} failure(s)" : null,
        _options.MaxFailureRate is { } r ? $"{r:P0} of {_targets.Count} targets" : null,
    }.Where(s => s is not null));

    private Activity? StartWave(FleetAction action, int wave, int size)
    {
        Report(new FleetProgress(FleetProgressKind.WaveStarting, wave, size, 0, 0));
        var activity = FleetDiagnostics.Start("stepwise.fleet.wave", action);
        activity?.SetTag(FleetDiagnostics.WaveTag, wave);
        activity?.SetTag("stepwise.fleet.wave.size", size);
        return activity;
    }

    private void Report(FleetProgress progress)
    {
        if (_options.OnProgress is { } report)
        {
            lock (_progressGate)
            {
                report(progress);
            }
        }
    }

    private MigrationDirectory LoadDirectory()
    {
        // Refused before any target is touched: every target would refuse the same way.
        var directory = MigrationDirectory.Load(_options.Directory, new MigrationDirectoryOptions { Parse = true });
        if (directory.HasErrors)
        {
            throw new MigrationRefusedException($"the migration directory {directory.Path} has errors; no target was touched", [.. directory.Problems.Where(p => p.Severity == Severity.Error)]);
        }
        return directory;
    }

    /// <summary>A target's history compared with the directory, or why it could not be read.</summary>
    private sealed record TargetRead(StatusReport? Report, string? Error);

    private async Task<Dictionary<FleetTarget, TargetRead>> ReadAllAsync(CancellationToken cancellationToken)
    {
        var reads = new TargetRead[_targets.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, _targets.Count), new ParallelOptions { MaxDegreeOfParallelism = _options.ReadParallelism, CancellationToken = cancellationToken },
            async (i, ct) => reads[i] = await ReadAsync(_targets[i], ct));
        return _targets.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => reads[x.i]);
    }

    private async Task<TargetRead> ReadAsync(FleetTarget target, CancellationToken cancellationToken)
    {
        try
        {
            return new TargetRead(await new Migrator(TargetOptions(target)).StatusAsync(cancellationToken), null);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or MigrationRefusedException)
        {
            return new TargetRead(null, Describe(ex, target));
        }
    }

    private static FleetTargetStatus Status(TargetRead read) =>
        read.Report is { } report ? FleetTargetStatus.Of(report) : FleetTargetStatus.Unreachable(read.Error ?? "not read");

    private static FleetTargetState Record(FleetTarget target, FleetTargetStatus status, FleetTargetState? last) =>
        new(target.Name, target.Database.ToString(), status.Version, status.State, status.Migration, last?.Goal, last?.Outcome, status.Error ?? last?.Error,
            last?.Attempt ?? 0, last?.Wave, last?.StartedAt, last?.FinishedAt, last?.DurationMs, DateTimeOffset.UtcNow);

    private Task SaveAsync(FleetTargetState record, CancellationToken cancellationToken) =>
        _options.State?.SaveTargetAsync(record, cancellationToken) ?? Task.CompletedTask;

    private Task SaveRunAsync(FleetRunState run, CancellationToken cancellationToken) =>
        _options.State?.SaveRunAsync(run, cancellationToken) ?? Task.CompletedTask;

    /// <summary>A target's migrator logs through the fleet's logger, its name before each line.</summary>
    private sealed class TargetLogger(ILogger inner, string name) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(logLevel, eventId, state, exception, (s, e) => $"{name}: {formatter(s, e)}");
    }
}
