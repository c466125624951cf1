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
                        await SetAsync($"SET lock_timeout = {Quote.Duration(options.LockTimeout)}", cancellationToken);
                        var runner = new BackfillRunner(work, history.Backfills, options.Backfill, logger);
                        await runner.RunAsync(migration.Version, (int)phase * 10_000 + i, step.Backfill!, cancellationToken);
                        await HistoryStore.RunAsync(work, [history.Progress(migration.Version, Status(phase), i + 1, null)], cancellationToken);
                        break;
                    case StepKind.Check:
                        await CheckAsync(step, cancellationToken);
                        await HistoryStore.RunAsync(work, [history.Progress(migration.Version, Status(phase), i + 1, null)], cancellationToken);
                        break;
                    default:
                        await SetAsync($"SET lock_timeout = {Quote.Duration(options.StepLockTimeout)}", cancellationToken);
                        await RunSqlAsync(migration, step, phase, i, resuming: i == resumeAt && resumeAt > 0, cancellationToken);
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

    private async Task SetAsync(string sql, CancellationToken cancellationToken)
    {
        await using var set = new NpgsqlCommand(sql, work);
        await set.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Runs clean-up steps deferred past an earlier migration's complete (kept fill triggers): idempotent
    /// statements, under the step lock timeout with retries, recorded by the caller as a whole.
    /// </summary>
    public async Task RunKeptAsync(Migration current, IReadOnlyList<Step> steps, CancellationToken cancellationToken)
    {
        await SetAsync($"SET lock_timeout = {Quote.Duration(options.StepLockTimeout)}", cancellationToken);
        foreach (var step in steps)
        {
            await RunSqlAsync(current, step, PlanPhase.Complete, 0, resuming: false, cancellationToken, record: false);
            logger.LogInformation(EventIds.StepDone, "{File}: kept until now: {Description}", current.FileName, step.Description);
        }
    }

    private async Task RunSqlAsync(Migration migration, Step step, PlanPhase phase, int index, bool resuming, CancellationToken cancellationToken, bool record = true)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (!step.InTransaction)
                {
                    if (await PrepareConcurrentAsync(migration, step, resuming || attempt > 0, cancellationToken))
                    {
                        await using var command = new NpgsqlCommand(step.Sql, work);
                        await command.ExecuteNonQueryAsync(cancellationToken);
                    }
                    if (record)
                    {
                        await HistoryStore.RunAsync(work, [history.Progress(migration.Version, Status(phase), index + 1, null)], cancellationToken);
                    }
                }
                else
                {
                    // The step and its progress record commit together.
                    await using var tx = await work.BeginTransactionAsync(cancellationToken);
                    await using var batch = new NpgsqlBatch(work, tx);
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(step.Sql!));
                    if (record)
                    {
                        batch.BatchCommands.Add(history.Progress(migration.Version, Status(phase), index + 1, null));
                    }
                    await batch.ExecuteNonQueryAsync(cancellationToken);
                    await tx.CommitAsync(cancellationToken);
                }
                return;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable && attempt < options.StepLockRetries)
            {
                var cap = Math.Min(5_000, 50 * Math.Pow(2, attempt));
                var delay = TimeSpan.FromMilliseconds(cap * (0.5 + (Random.Shared.NextDouble() / 2)));
                StepwiseDiagnostics.LockTimeoutRetries.Add(1, new KeyValuePair<string, object?>(StepwiseDiagnostics.FileTag, migration.FileName));
                logger.LogWarning(EventIds.LockTimeoutRetry, "{File}: {Description} waited lock_timeout ({Timeout} ms) for a lock on {Target}; retry {Attempt} of {Retries} in {Delay} ms",
                    migration.FileName, step.Description, (long)options.StepLockTimeout.TotalMilliseconds, step.LockTarget, attempt + 1, options.StepLockRetries, (long)delay.TotalMilliseconds);
                await Task.Delay(delay, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Before a concurrent index build: an INVALID index of that name (an interrupted build) is dropped; one that is
    /// valid when resuming was built before the interruption and is not built again. Returns false to skip the step.
    /// </summary>
    private async Task<bool> PrepareConcurrentAsync(Migration migration, Step step, bool resuming, CancellationToken cancellationToken)
    {
        var parsed = SqlParser.Parse(step.Sql!);
        if (parsed.Statements.Count == 0 || parsed.Statements[0].Tree?.Index is not { Concurrent: true, Name: { } name } index)
        {
            return true;
        }
        var qualified = Quote.Ident(index.Table.Schema, name);
        await using var command = new NpgsqlCommand("SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass($1)", work);
        command.Parameters.AddWithValue(qualified);
        var valid = await command.ExecuteScalarAsync(cancellationToken) as bool?;
        if (valid == false)
        {
            logger.LogWarning(EventIds.DroppingInvalidIndex, "{File}: dropping the INVALID index {Index} left by an interrupted build before building it again", migration.FileName, qualified);
            await using var drop = new NpgsqlCommand("DROP INDEX CONCURRENTLY IF EXISTS " + qualified, work);
            await drop.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }
        return !(valid == true && resuming);
    }

    private async Task CheckAsync(Step step, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(step.Sql, work);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (await reader.ReadAsync(cancellationToken))
        {
            var first = reader.FieldCount > 0 && !reader.IsDBNull(0) ? Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture) : null;
            throw new StepCheckFailedException($"{step.Description}: the query returned rows{(first is null ? "" : $" (first: {first})")}");
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
        var next = $"steps 1-{index} of {steps.Count} of the {phase.ToString().ToLowerInvariant()} phase are done and recorded; fix the cause and run stepwise {command}: it resumes at step {index + 1} ({step.Description})"
            + (phase == PlanPhase.Start ? ", or run stepwise rollback to undo the start." : ".");
        logger.LogError(EventIds.MigrationFailed, "{File}:{Line}:{Column}: {Description}: {Message}", migration.FileName, where.Line, where.Column, step.Description, message);
        return new MigrationFailedException($"{step.Description}: {message}", migration.Path, where.Line, where.Column, step.Sql, pg?.SqlState, pg?.Detail, pg?.Hint, next, error);
    }
}

/// <summary>A check step's query returned rows.</summary>
internal sealed class StepCheckFailedException(string message) : Exception(message);
