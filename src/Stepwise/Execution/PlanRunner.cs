using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using Stepwise.Execution.Backfill;
using Stepwise.Migrations;
using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Execution;

/// <summary>
/// Runs one phase of an operation migration's stored plan, step by step, recording after each step how many
/// are done (in the same transaction as a transactional step), so a crash resumes at the first unfinished
/// step. SQL steps run under lock_timeout and are retried with backoff when it expires; a concurrent index
/// build left INVALID by an interruption is dropped and built again; backfills checkpoint every batch.
/// </summary>
internal sealed class PlanRunner(NpgsqlConnection work, HistoryStore history, MigratorOptions options, ILogger logger)
{
    /// <summary>The status that marks <paramref name="phase"/> in progress.</summary>
    public static HistoryStatus Status(PlanPhase phase) => phase switch
    {
        PlanPhase.Start => HistoryStatus.Starting,
        PlanPhase.Complete => HistoryStatus.Completing,
        _ => HistoryStatus.RollingBack,
    };

    /// <summary>Runs the steps of <paramref name="phase"/> from <paramref name="resumeAt"/>.</summary>
    /// <param name="where">The file position of each operation (by index), for messages.</param>
    public async Task<TimeSpan> RunAsync(Migration migration, Plan plan, PlanPhase phase, int resumeAt, Func<int, (int Line, int Column)> where, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var steps = plan.Steps(phase);
        await _timeouts.SetStatementTimeoutAsync(options.StatementTimeout ?? TimeSpan.Zero, cancellationToken);
        for (var i = resumeAt; i < steps.Count; i++)
        {
            var step = steps[i];
            var stepClock = Stopwatch.StartNew();
            try
            {
                switch (step.Kind)
                {
                    case StepKind.Backfill:
                        await _timeouts.SetLockTimeoutAsync(options.LockTimeout, cancellationToken);
                        var runner = new BackfillRunner(work, history.Backfills, options.Backfill, logger);
                        await runner.RunAsync(migration.Version, (int)phase * 10_000 + i, step.Backfill!, cancellationToken);
                        await HistoryStore.RunAsync(work, [history.Progress(migration.Version, Status(phase), i + 1, null)], cancellationToken);
                        break;
                    case StepKind.Check:
                        await CheckAsync(step, cancellationToken);
                        await HistoryStore.RunAsync(work, [history.Progress(migration.Version, Status(phase), i + 1, null)], cancellationToken);
                        break;
                    default:
                        await RunSqlAsync(migration.FileName, step, () => history.Progress(migration.Version, Status(phase), i + 1, null), resuming: i == resumeAt && resumeAt > 0, cancellationToken);
                        break;
                }
            }
            catch (Exception ex) when (ex is PostgresException or StepCheckFailedException)
            {
                throw await FailAsync(migration, steps, phase, i, where(step.Operation), ex);
            }
            logger.LogInformation(EventIds.StepDone, "{File}: {Phase} step {Step}/{Steps}: {Description} ({Ms} ms)",
                migration.FileName, phase.ToString().ToLowerInvariant(), i + 1, steps.Count, step.Description, stepClock.ElapsedMilliseconds);
        }
        return clock.Elapsed;
    }

    private readonly SessionTimeouts _timeouts = new(work);

    /// <summary>
    /// Runs clean-up steps deferred past an earlier migration's complete (kept fill triggers): idempotent
    /// statements, under the step lock timeout with retries, recorded by the caller as a whole.
    /// </summary>
    public async Task RunKeptAsync(string file, IReadOnlyList<Step> steps, CancellationToken cancellationToken)
    {
        foreach (var step in steps)
        {
            await RunSqlAsync(file, step, progress: null, resuming: false, cancellationToken);
            logger.LogInformation(EventIds.StepDone, "{File}: kept until now: {Description}", file, step.Description);
        }
    }

    /// <summary>Runs one SQL step with lock-timeout retries; <paramref name="progress"/>, when given, makes the progress record written with it (in its transaction when it has one).</summary>
    private async Task RunSqlAsync(string file, Step step, Func<NpgsqlBatchCommand>? progress, bool resuming, CancellationToken cancellationToken)
    {
        // A plan stored before steps carried their check says it by its SQL: derived once, not per retry.
        var check = step.InTransaction ? null : step.Done ?? DoneCheck.For(SqlParser.Parse(step.Sql!).Statements is [var first, ..] ? first.Tree : null);
        var used = TimeSpan.Zero;
        await LockAttempts.RunAsync(LockPolicies.ForStep(options), step.LockTarget, new(StepwiseDiagnostics.FileTag, file), async (lockTimeout, attempt) =>
        {
            used = lockTimeout;
            await _timeouts.SetLockTimeoutAsync(lockTimeout, cancellationToken);
            if (!step.InTransaction)
            {
                if (await OutsideTransaction.PrepareAsync(work, check, resuming || attempt.Number > 0, $"{file}: {step.Description}", logger, cancellationToken))
                {
                    await using var command = new NpgsqlCommand(step.Sql, work);
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
                if (progress is not null)
                {
                    await HistoryStore.RunAsync(work, [progress()], cancellationToken);
                }
            }
            else
            {
                // The step and its progress record commit together.
                await using var tx = await work.BeginTransactionAsync(cancellationToken);
                await using var batch = new NpgsqlBatch(work, tx);
                batch.BatchCommands.Add(new NpgsqlBatchCommand(step.Sql!));
                if (progress is not null)
                {
                    batch.BatchCommands.Add(progress()); // a new command per attempt: one belongs to one batch
                }
                await batch.ExecuteNonQueryAsync(cancellationToken);
                await tx.CommitAsync(cancellationToken);
            }
            return true;
        }, (attempt, _, delay) =>
        {
            logger.LogWarning(EventIds.LockTimeoutRetry, "{File}: {Description} waited lock_timeout ({Timeout} ms) for a lock on {Target}; retry {Attempt} in {Delay} ms",
                file, step.Description, (long)used.TotalMilliseconds, step.LockTarget, attempt.Number + 1, (long)delay.TotalMilliseconds);
            return Task.CompletedTask;
        }, cancellationToken);
    }

    private async Task CheckAsync(Step step, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(step.Sql, work);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (await reader.ReadAsync(cancellationToken))
        {
            var first = reader.FieldCount > 0 && !reader.IsDBNull(0) ? Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture) : null;
            throw new StepCheckFailedException($"the query returned rows{(first is null ? "" : $" (first: {first})")}");
        }
    }

    private async Task<MigrationFailedException> FailAsync(Migration migration, IReadOnlyList<Step> steps, PlanPhase phase, int index, (int Line, int Column) where, Exception error)
    {
        var pg = error as PostgresException;
        var message = pg is null ? error.Message : $"{pg.SqlState}: {pg.MessageText}";
        var step = steps[index];
        try
        {
            await HistoryStore.RunAsync(work, [history.Progress(migration.Version, Status(phase), index, message),
                history.Event(migration.Version, migration.FileName, $"{phase.ToString().ToLowerInvariant()} failed", $"step {index + 1}: {message}")], CancellationToken.None);
        }
        catch (NpgsqlException ex)
        {
            logger.LogError(EventIds.MigrationFailed, ex, "could not record the failure of {File} in history", migration.FileName);
        }
        var command = phase switch { PlanPhase.Start => "apply", PlanPhase.Complete => "complete", _ => "rollback" };
        var done = index == 0 ? $"no step of the {phase.ToString().ToLowerInvariant()} phase ran" : $"steps 1-{index} of {steps.Count} of the {phase.ToString().ToLowerInvariant()} phase are done and recorded";
        var next = $"{done}; fix the cause and run stepwise {command}: it resumes at step {index + 1} ({step.Description})"
            + (phase == PlanPhase.Start ? ", or run stepwise rollback to undo the start." : ".");
        logger.LogError(EventIds.MigrationFailed, "{File}:{Line}:{Column}: {Description}: {Message}", migration.FileName, where.Line, where.Column, step.Description, message);
        return new MigrationFailedException($"{step.Description}: {message}", migration.Path, where.Line, where.Column, step.Sql, pg?.SqlState, pg?.Detail, pg?.Hint, next, error);
    }
}

/// <summary>A check step's query returned rows.</summary>
internal sealed class StepCheckFailedException(string message) : Exception(message);
