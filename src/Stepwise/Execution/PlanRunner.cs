using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using Stepwise.Execution.Backfill;
using Stepwise.Execution.Locking;
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
internal sealed class PlanRunner(NpgsqlConnection work, NpgsqlConnection observer, HistoryStore history, MigratorOptions options, ILogger logger)
{
    private readonly LockAcquisition _locks = new(observer, options.LockPolicy ?? LockPolicy.From(options), logger, options.LockWaitChanged);

    /// <summary>The status that marks <paramref name="phase"/> in progress.</summary>
    public static string Status(PlanPhase phase) => phase switch
    {
        PlanPhase.Start => "starting",
        PlanPhase.Complete => "completing",
        _ => "rolling back",
    };

    /// <summary>Runs the steps of <paramref name="phase"/> from <paramref name="resumeAt"/>.</summary>
    /// <param name="where">The file position of each operation (by index), for messages.</param>
    public async Task<TimeSpan> RunAsync(Migration migration, Plan plan, PlanPhase phase, int resumeAt, Func<int, (int Line, int Column)> where, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var steps = plan.Steps(phase);
        await SetAsync($"SET statement_timeout = {(options.StatementTimeout is { } t ? Quote.Duration(t) : "0")}", cancellationToken);
        for (var i = resumeAt; i < steps.Count; i++)
        {
            var step = steps[i];
            var stepClock = Stopwatch.StartNew();
            try
            {
                switch (step.Kind)
                {
                    case StepKind.Backfill:
                        await SetLockTimeoutAsync(options.LockTimeout, cancellationToken);
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
            catch (Exception ex) when (ex is PostgresException or StepCheckFailedException or LockDeadlineException)
            {
                throw await FailAsync(migration, steps, phase, i, where(step.Operation), ex);
            }
            logger.LogInformation(EventIds.StepDone, "{File}: {Phase} step {Step}/{Steps}: {Description} ({Ms} ms)",
                migration.FileName, phase.ToString().ToLowerInvariant(), i + 1, steps.Count, step.Description, stepClock.ElapsedMilliseconds);
        }
        return clock.Elapsed;
    }

    private async Task SetAsync(string sql, CancellationToken cancellationToken)
    {
        await using var set = new NpgsqlCommand(sql, work);
        await set.ExecuteNonQueryAsync(cancellationToken);
    }

    private TimeSpan? _lockTimeout;

    /// <summary>Sets the session's lock_timeout, only when it changes (SQL steps and backfills use different ones).</summary>
    private async Task SetLockTimeoutAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_lockTimeout != timeout)
        {
            await SetAsync($"SET lock_timeout = {Quote.Duration(timeout)}", cancellationToken);
            _lockTimeout = timeout;
        }
    }

    /// <summary>
    /// Runs clean-up steps deferred past an earlier migration's complete (kept fill triggers): idempotent
    /// statements, under the lock policy, recorded by the caller as a whole.
    /// </summary>
    public async Task RunKeptAsync(string file, IReadOnlyList<Step> steps, CancellationToken cancellationToken)
    {
        foreach (var step in steps)
        {
            await RunSqlAsync(file, step, progress: null, resuming: false, cancellationToken);
            logger.LogInformation(EventIds.StepDone, "{File}: kept until now: {Description}", file, step.Description);
        }
    }

    /// <summary>Runs one SQL step under the lock policy; <paramref name="progress"/>, when given, makes the progress record written with it (in its transaction when it has one).</summary>
    private async Task RunSqlAsync(string file, Step step, Func<NpgsqlBatchCommand>? progress, bool resuming, CancellationToken cancellationToken)
    {
        // Parsed once, not per retry: a statement outside a transaction may have an interrupted effect to clean up first.
        var statements = SqlParser.Parse(step.Sql!).Statements;
        var statement = !step.InTransaction && statements is [var first, ..] ? first : null;
        var retrying = resuming;
        await _locks.RunAsync(new LockRequest(file, $"{file}: {step.Description}", LockTarget.Of(statements)), work.ProcessID, async (timeout, ct) =>
        {
            await SetLockTimeoutAsync(timeout, ct);
            try
            {
                await RunSqlOnceAsync(step, statements, statement, progress, retrying, $"{file}: {step.Description}", ct);
            }
            finally
            {
                retrying = true;
            }
        }, cancellationToken);
    }

    private async Task RunSqlOnceAsync(Step step, IReadOnlyList<SqlStatement> statements, SqlStatement? statement, Func<NpgsqlBatchCommand>? progress, bool retrying, string where, CancellationToken cancellationToken)
    {
        if (!step.InTransaction)
        {
            if (statement is null || await OutsideTransaction.PrepareAsync(work, statement, retrying, where, logger, cancellationToken))
            {
                await using var command = new NpgsqlCommand(step.Sql, work);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            if (progress is not null)
            {
                await HistoryStore.RunAsync(work, [progress()], cancellationToken);
            }
            return;
        }
        // The step (several statements when steps on one table were grouped) and its progress record commit together.
        await using var tx = await work.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(work, tx);
        foreach (var one in statements)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(one.Text));
        }
        if (progress is not null)
        {
            batch.BatchCommands.Add(progress()); // a new command per attempt: one belongs to one batch
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
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
