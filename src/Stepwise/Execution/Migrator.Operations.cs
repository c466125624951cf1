using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using Stepwise.Connections;
using Stepwise.Diagnostics;
using Stepwise.Migrations;
using Stepwise.Operations;
using Stepwise.Planning;

namespace Stepwise.Execution;

public sealed partial class Migrator
{
    /// <summary>
    /// Runs the contract phase of the started operation migration, once every application instance runs the
    /// new code: e.g. <c>SET NOT NULL</c> on a column whose check was validated, the fill triggers dropped.
    /// Resumes an interrupted complete. Then the migrations after it can be applied.
    /// </summary>
    /// <exception cref="MigrationRefusedException">No operation migration is started.</exception>
    public async Task<MigrationResult> CompleteAsync(bool dryRun = false, CancellationToken cancellationToken = default)
    {
        using var activity = StartRunActivity("stepwise.complete", dryRun);
        var directory = LoadDirectory(parse: true);
        await using var session = await Session.OpenAsync(this, takeLock: !dryRun, cancellationToken);
        var status = StatusReport.Compute(directory, await _history.ReadAsync(session.Observer, cancellationToken));
        var entry = status.Entries.FirstOrDefault(e => e.Migration is { IsOperationMigration: true } && e.History?.Status is HistoryStatus.Started or HistoryStatus.Completing);
        if (entry is null)
        {
            if (status.Entries.FirstOrDefault(e => e.History?.Status == HistoryStatus.Starting) is { } starting)
            {
                throw new MigrationRefusedException($"{starting.File} has not finished its start phase: run stepwise apply to finish it, then stepwise complete");
            }
            // A complete that already ran is done, not an error: a retried deploy step must pass. Only when the newest
            // operation migration is really complete; one never started is still nothing to complete.
            if (status.Entries.LastOrDefault(e => e.Migration is { IsOperationMigration: true }) is { State: MigrationState.Applied, Migration: { } completed })
            {
                return new MigrationResult([], dryRun) { AlreadyCompleted = completed };
            }
            throw new MigrationRefusedException("no operation migration is started: nothing to complete (stepwise status shows where each migration stands)");
        }
        if (entry.State == MigrationState.Modified)
        {
            throw new MigrationRefusedException($"{entry.File} was changed after it started", [new MigrationProblem(Severity.Error, "modified", entry.Migration!.Path, 0, 0,
                $"{entry.File} was changed after its start phase ran", "undo the edit: the stored plan is what complete runs")]);
        }
        if (!dryRun && entry.History!.Status == HistoryStatus.Started)
        {
            // No contract while old code runs. An interrupted complete already passed (or was forced past) the gate.
            await CompleteGate.PassAsync(session.Observer, _options.StateSchema, entry.Version, entry.File, _options.Instances, _logger, cancellationToken);
        }
        var plan = await StoredPlanAsync(session, entry.Migration!, cancellationToken);
        if (dryRun)
        {
            // What the gate would say, without waiting: the instances that would block this complete.
            IReadOnlyList<Instances.Instance> blockers = entry.History!.Status == HistoryStatus.Started
                ? await CompleteGate.OlderAsync(session.Observer, _options.StateSchema, entry.Version, _options.Instances, cancellationToken)
                : [];
            return new MigrationResult([PhaseRun(entry.Migration!, plan, PlanPhase.Complete, ResumeAt(entry, HistoryStatus.Completing), TimeSpan.Zero)], DryRun: true)
            {
                Blockers = blockers,
            };
        }
        var run = await RunPhaseAsync(session, entry.Migration!, plan, PlanPhase.Complete, ResumeAt(entry, HistoryStatus.Completing), cancellationToken);
        return new MigrationResult([run], DryRun: false);
    }

    /// <summary>
    /// Runs the start phase of an operation migration (planning it against the live schema first, or resuming
    /// its stored plan), and its complete phase too when <paramref name="complete"/> is set or it was started
    /// before. Returns the phases that ran.
    /// </summary>
    private async Task<List<MigrationRun>> RunOperationAsync(Session session, StatusReport status, Migration migration, bool complete, CancellationToken cancellationToken)
    {
        var entry = status.Entries.First(e => e.Migration == migration);
        var runs = new List<MigrationRun>();
        if (complete && entry.History?.Status != HistoryStatus.Completing)
        {
            // apply --complete contracts too, so it passes the same gate as stepwise complete: before anything runs, so
            // that a refusal changes nothing. An interrupted complete already passed (or was forced past) it.
            await CompleteGate.PassAsync(session.Observer, _options.StateSchema, migration.Version, migration.FileName, _options.Instances, _logger, cancellationToken);
        }
        Plan plan;
        if (entry.History?.Status is HistoryStatus.Starting or HistoryStatus.Started or HistoryStatus.Completing)
        {
            plan = await StoredPlanAsync(session, migration, cancellationToken);
        }
        else
        {
            plan = await PlanAsync(session, migration, cancellationToken);
            await HistoryStore.RunAsync(session.Work,
            [
                .. _history.Record(migration.Version, migration.FileName, HistoryStore.Versioned, migration.Checksum, HistoryStatus.Starting, 0, plan.Start.Count, null, null),
                _history.Phase(migration.Version, HistoryStatus.Starting, plan.Start.Count, PlanJson.Write(plan)),
                _history.Event(migration.Version, migration.FileName, "starting", $"{plan.Start.Count} start step(s), {plan.Complete.Count} complete step(s)"),
            ], cancellationToken);
            entry = entry with { History = null };
        }
        if (entry.History?.Status is null or HistoryStatus.Starting)
        {
            runs.Add(await RunPhaseAsync(session, migration, plan, PlanPhase.Start, ResumeAt(entry, HistoryStatus.Starting), cancellationToken));
            if (!complete)
            {
                return runs;
            }
            if (!_options.Instances.Force)
            {
                // An instance of an older version may have come up while the start ran (a long backfill): the gate again.
                await CompleteGate.PassAsync(session.Observer, _options.StateSchema, migration.Version, migration.FileName, _options.Instances, _logger, cancellationToken);
            }
            entry = entry with { History = null };
        }
        runs.Add(await RunPhaseAsync(session, migration, plan, PlanPhase.Complete, ResumeAt(entry, HistoryStatus.Completing), cancellationToken));
        return runs;
    }

    /// <summary>Runs one phase and records its end: started (awaiting complete), applied, or gone (rolled back).</summary>
    private async Task<MigrationRun> RunPhaseAsync(Session session, Migration migration, Plan plan, PlanPhase phase, int resumeAt, CancellationToken cancellationToken)
    {
        using var activity = StepwiseDiagnostics.ActivitySource.StartActivity("stepwise.migration.phase");
        activity?.SetTag(StepwiseDiagnostics.FileTag, migration.FileName);
        activity?.SetTag("stepwise.phase", phase.ToString().ToLowerInvariant());
        var steps = plan.Steps(phase);
        if (phase == PlanPhase.Rollback)
        {
            // Before the steps: a rollback interrupted after them has no history row left to resume from.
            await VersionRoles.ResetAsync(session.Work, migration, _options.Instances, _logger, cancellationToken);
        }
        if (resumeAt > 0)
        {
            _logger.LogInformation(EventIds.Resuming, "{File}: resuming the {Phase} phase at step {Step} of {Steps}", migration.FileName, phase.ToString().ToLowerInvariant(), resumeAt + 1, steps.Count);
        }
        _logger.LogInformation(EventIds.MigrationStarting, "{File}: {Phase} ({Steps} step(s))", migration.FileName, phase.ToString().ToLowerInvariant(), steps.Count);
        var executor = new PlanExecutor(session.Work, session.Observer, _history, _options, _logger);
        TimeSpan elapsed;
        try
        {
            elapsed = await executor.RunPhaseAsync(migration, plan, phase, resumeAt, cancellationToken);
        }
        catch (MigrationFailedException)
        {
            activity?.SetStatus(ActivityStatusCode.Error);
            throw;
        }
        var ms = (long)elapsed.TotalMilliseconds;
        switch (phase)
        {
            case PlanPhase.Start:
                await VersionRoles.SetAsync(session.Work, migration, _options.Instances, _logger, cancellationToken);
                _logger.LogInformation(EventIds.MigrationApplied, "started {File} in {Milliseconds} ms: old and new code both work now; run stepwise complete once every instance runs the new code",
                    migration.FileName, ms);
                break;
            case PlanPhase.Complete:
                // Fill triggers earlier migrations kept for slow rollouts go now: every instance runs code newer than theirs.
                // Optional clean-up: a failure leaves them in history for the next complete, and this complete stands.
                foreach (var (version, file, json) in await _history.ReadKeptAsync(session.Work, migration.Version, cancellationToken))
                {
                    try
                    {
                        await executor.RunKeptAsync(migration, file, PlanJson.ReadSteps(json), cancellationToken);
                        await HistoryStore.RunAsync(session.Work, [_history.ForgetKept(version), _history.Event(version, file, "kept helpers dropped", $"by the complete of {migration.FileName}")],
                            cancellationToken);
                    }
                    catch (PostgresException ex)
                    {
                        _logger.LogWarning(EventIds.MigrationFailed, "{File}: the fill trigger kept until now could not be dropped ({State}: {Message}); it stays recorded, and the next operation migration's complete tries again (or drop it by hand: the steps are in {Schema}.migrations.plan)",
                            file, ex.SqlState, ex.MessageText, _options.StateSchema);
                    }
                }
                StepwiseDiagnostics.MigrationsApplied.Add(1, new KeyValuePair<string, object?>(StepwiseDiagnostics.KindTag, "operations"));
                _logger.LogInformation(EventIds.MigrationApplied, "completed {File} in {Milliseconds} ms", migration.FileName, ms);
                break;
            default:
                _logger.LogInformation(EventIds.MigrationRolledBack, "rolled back {File} in {Milliseconds} ms", migration.FileName, ms);
                break;
        }
        return PhaseRun(migration, plan, phase, resumeAt, elapsed);
    }

    /// <summary>
    /// Aborts the started (or starting, or rolling back) operation migration: its rollback steps, then its
    /// history row is removed. Null when there is none.
    /// </summary>
    private async Task<MigrationResult?> RollbackOperationAsync(Session session, StatusReport status, bool dryRun, CancellationToken cancellationToken)
    {
        var entry = status.Entries.FirstOrDefault(e => e.Migration is { IsOperationMigration: true } && e.History?.Status is { } s && s.IsOperationPhase());
        if (entry is null)
        {
            return null;
        }
        if (entry.History!.Status == HistoryStatus.Completing)
        {
            throw new MigrationRefusedException($"{entry.File} is being completed: its complete phase was interrupted after {entry.History.StatementsCompleted} step(s); finish it with stepwise complete",
                [new MigrationProblem(Severity.Error, "completing", entry.Migration!.Path, 0, 0, $"{entry.File} cannot be rolled back once complete has begun", "run stepwise complete to finish it")]);
        }
        var plan = await StoredPlanAsync(session, entry.Migration!, cancellationToken);
        var resume = ResumeAt(entry, HistoryStatus.RollingBack);
        if (dryRun)
        {
            return new MigrationResult([PhaseRun(entry.Migration!, plan, PlanPhase.Rollback, resume, TimeSpan.Zero)], DryRun: true);
        }
        var run = await RunPhaseAsync(session, entry.Migration!, plan, PlanPhase.Rollback, resume, cancellationToken);
        return new MigrationResult([run], DryRun: false);
    }

    /// <summary>The start phases a dry run would run, planned against the live schema (nothing is changed or stored).</summary>
    private async Task<IReadOnlyList<MigrationRun>> PlanOperationsAsync(Session session, StatusReport status, IReadOnlyList<Migration> migrations, CancellationToken cancellationToken)
    {
        var runs = new List<MigrationRun>();
        foreach (var migration in migrations.Take(1)) // later ones wait for the first to complete: their plans depend on it
        {
            var entry = status.Entries.First(e => e.Migration == migration);
            var (plan, phase) = entry.History?.Status switch
            {
                HistoryStatus.Starting => (await StoredPlanAsync(session, migration, cancellationToken), PlanPhase.Start),
                HistoryStatus.Started or HistoryStatus.Completing => (await StoredPlanAsync(session, migration, cancellationToken), PlanPhase.Complete),
                _ => (await PlanAsync(session, migration, cancellationToken), PlanPhase.Start),
            };
            runs.Add(PhaseRun(migration, plan, phase, ResumeAt(entry, PhaseJournal.Status(phase)), TimeSpan.Zero));
        }
        return runs;
    }

    private async Task<Plan> PlanAsync(Session session, Migration migration, CancellationToken cancellationToken)
    {
        try
        {
            return await MigrationPlanner.PlanAsync(session.Work, migration.Operations!, migration.DisplayName, [_options.StateSchema], cancellationToken);
        }
        catch (PlanningException ex)
        {
            throw new MigrationRefusedException($"{migration.FileName} cannot be applied to this database", [new MigrationProblem(Severity.Error, "cannot-plan", migration.Path,
                ex.Position.Line, ex.Position.Column, ex.Message, ex.Hint)]);
        }
    }

    private async Task<Plan> StoredPlanAsync(Session session, Migration migration, CancellationToken cancellationToken)
    {
        var json = await _history.ReadPlanAsync(session.Observer, migration.Version, cancellationToken)
            ?? throw new MigrationRefusedException($"history has no stored plan for {migration.FileName}; forget the row with stepwise repair --yes and apply again");
        try
        {
            return PlanJson.Read(json);
        }
        catch (FormatException ex)
        {
            throw new MigrationRefusedException($"{migration.FileName}: {ex.Message}");
        }
    }

    /// <summary>
    /// Changes what running backfills do from their next batch on (pause, resume, batch target, pause between batches,
    /// rate limit), from any process: no migration lock is taken (the running backfill holds it).
    /// </summary>
    /// <exception cref="MigrationRefusedException">The state schema has no backfill control yet.</exception>
    public async Task<Backfill.BackfillControl> ControlBackfillsAsync(Backfill.BackfillControlChange change, CancellationToken cancellationToken = default)
    {
        await using var connection = DataSources.Connection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return await Backfill.BackfillControlStore.ChangeAsync(connection, _history, change, cancellationToken);
    }

    /// <summary>Every backfill's recorded progress and the operator's settings (reads only; empty before any).</summary>
    public async Task<Backfill.BackfillReport> BackfillsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = DataSources.Connection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return await Backfill.BackfillControlStore.ReadAsync(connection, _history, cancellationToken);
    }

    /// <summary>The version schemas of the database, each with the migration that made it (reads only).</summary>
    public async Task<IReadOnlyList<VersionSchemaInfo>> VersionSchemasAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = DataSources.Connection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return await VersionSchemas.ListAsync(connection, cancellationToken);
    }

    private static MigrationRun PhaseRun(Migration migration, Plan plan, PlanPhase phase, int resumeAt, TimeSpan duration) =>
        new(migration, phase, plan.Steps(phase), resumeAt, duration);

    private static int ResumeAt(MigrationStatusEntry entry, HistoryStatus status) => entry.History?.Status == status ? entry.History.StatementsCompleted : 0;
}
