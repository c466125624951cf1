using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using Stepwise.Execution.Backfill;
using Stepwise.Execution.Locking;
using Stepwise.Migrations;
using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Execution;

/// <summary>What to run: a migration's steps (a SQL section compiled to steps, or an operation migration's phase) and how history records them.</summary>
/// <param name="Migration">The file.</param>
/// <param name="Steps">The steps, in order.</param>
/// <param name="ResumeAt">The first step to run (0 unless an interrupted run is resumed).</param>
/// <param name="Resuming">True when an earlier run of these steps was interrupted (the step at <paramref name="ResumeAt"/> may have happened).</param>
/// <param name="Journal">What history records before, between and after the steps, and on failure.</param>
/// <param name="PinnedLockTimeout">The lock_timeout a SQL file's directive pins (null: the lock policy chooses).</param>
/// <param name="StatementTimeout">The statement_timeout the steps run under (zero: none).</param>
internal sealed record PlanJob(Migration Migration, IReadOnlyList<Step> Steps, int ResumeAt, bool Resuming, RunJournal Journal, TimeSpan? PinnedLockTimeout, TimeSpan StatementTimeout);

/// <summary>
/// The one executor: runs the steps of every plan (a SQL migration's section, an operation migration's phase) on the work
/// connection and keeps history truthful at every point. A <see cref="StepKind.Transaction"/> step runs its statements and
/// assertions in one transaction with the history record; a SQL step in a transaction commits together with its progress
/// record; a step outside a transaction (CONCURRENTLY, statements that commit by themselves) asks its <see cref="DoneCheck"/>
/// on a retry or resume (an INVALID index left by an interrupted build is dropped first) and records progress after it;
/// backfills checkpoint every batch; checks and assertions fail the step when their query says so. Every lock-taking
/// attempt goes through <see cref="LockAttempts"/>, asking the lock policy (<see cref="LockAcquisition"/>); a failure is recorded by the job's journal and thrown as one
/// <see cref="MigrationFailedException"/> naming the file position.
/// </summary>
internal sealed class PlanExecutor(NpgsqlConnection work, NpgsqlConnection observer, HistoryStore history, MigratorOptions options, ILogger logger)
{
    private readonly SessionTimeouts _timeouts = new(work);

    private readonly LockAcquisition _locks = new(observer, options.LockPolicy ?? LockPolicy.From(options), logger, options.LockWaitChanged, history);

    /// <summary>Runs the job; returns how long it took. Throws <see cref="MigrationFailedException"/> on failure.</summary>
    public async Task<TimeSpan> RunAsync(PlanJob job, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var steps = job.Steps;
        if (steps is not [{ Kind: StepKind.Transaction }])
        {
            _timeouts.Forget(); // user SQL run statement by statement may have set either
            await _timeouts.SetStatementTimeoutAsync(job.StatementTimeout, cancellationToken);
        }
        if (!job.Resuming && job.Journal.Begin() is { Count: > 0 } begin)
        {
            await HistoryStore.RunAsync(work, begin, cancellationToken);
        }
        else if (job.Resuming && steps.ElementAtOrDefault(job.ResumeAt) is { Statement: { } at } && job.Journal.Progress(0) is not null)
        {
            logger.LogInformation(EventIds.Resuming, "{File}: resuming at statement {Index} of {Total} (line {Line})",
                job.Migration.FileName, job.ResumeAt + 1, steps.Count(s => s.Kind == StepKind.Sql), at.Span.StartLine);
        }

        for (var i = job.ResumeAt; i < steps.Count; i++)
        {
            var step = steps[i];
            var stepClock = Stopwatch.StartNew();
            try
            {
                await RunStepAsync(job, step, i, clock, cancellationToken);
            }
            catch (StepFailedException ex)
            {
                throw await FailAsync(job, i, ex.Step, ex.InnerException!);
            }
            catch (Exception ex) when (ex is PostgresException or LockDeadlineException)
            {
                throw await FailAsync(job, i, step, ex);
            }
            logger.Log(job.Journal.StepLogLevel, EventIds.StepDone, "{File}: {Phase} step {Step}/{Steps}: {Description} ({Ms} ms)",
                job.Migration.FileName, job.Journal.Phase, i + 1, steps.Count, step.Description, stepClock.ElapsedMilliseconds);
        }
        if (steps is not [{ Kind: StepKind.Transaction }])
        {
            await HistoryStore.RunAsync(work, job.Journal.Finish(clock.Elapsed), cancellationToken);
        }
        return clock.Elapsed;
    }

    /// <summary>Runs <paramref name="phase"/> of an operation migration's plan from step <paramref name="resumeAt"/>, and records its end.</summary>
    public Task<TimeSpan> RunPhaseAsync(Migration migration, Plan plan, PlanPhase phase, int resumeAt, CancellationToken cancellationToken) =>
        RunAsync(new PlanJob(migration, plan.Steps(phase), resumeAt, resumeAt > 0, new PhaseJournal(history, migration, plan, phase), null,
            options.StatementTimeout ?? TimeSpan.Zero), cancellationToken);

    /// <summary>
    /// Runs clean-up steps deferred past an earlier migration's complete (kept fill triggers): idempotent statements,
    /// under the step lock policy, recorded by the caller as a whole. <paramref name="completing"/> runs them; <paramref name="file"/> kept them.
    /// </summary>
    public async Task RunKeptAsync(Migration completing, string file, IReadOnlyList<Step> steps, CancellationToken cancellationToken)
    {
        var job = new PlanJob(completing, steps, 0, false, RunJournal.None, null, options.StatementTimeout ?? TimeSpan.Zero);
        foreach (var step in steps)
        {
            await RunSqlAsync(job, step, index: -1, cancellationToken);
            logger.LogInformation(EventIds.StepDone, "{File}: kept until now: {Description}", file, step.Description);
        }
    }

    private async Task RunStepAsync(PlanJob job, Step step, int index, Stopwatch clock, CancellationToken cancellationToken)
    {
        switch (step.Kind)
        {
            case StepKind.Transaction:
                await RunTransactionAsync(job, step, clock, cancellationToken);
                break;
            case StepKind.Backfill:
                await _timeouts.SetLockTimeoutAsync(options.LockTimeout, cancellationToken);
                var runner = new BackfillRunner(work, history, options.Backfill, logger);
                await runner.RunAsync(job.Migration.Version, job.Journal.BackfillId(index), step.Backfill!, cancellationToken);
                await RecordProgressAsync(job, index, cancellationToken);
                break;
            case StepKind.Check or StepKind.Assert:
                await CheckAsync(step, null, cancellationToken);
                if (step.Kind == StepKind.Check)
                {
                    await RecordProgressAsync(job, index, cancellationToken);
                }
                break;
            default:
                await RunSqlAsync(job, step, index, cancellationToken);
                break;
        }
    }

    private async Task RecordProgressAsync(PlanJob job, int index, CancellationToken cancellationToken)
    {
        if (job.Journal.Progress(index + 1) is { } progress)
        {
            await HistoryStore.RunAsync(work, [progress], cancellationToken);
        }
    }

    /// <summary>How many commands lead a transaction step's batch (its timeouts).</summary>
    private const int TimeoutCommandCount = 2;

    /// <summary>
    /// A transaction step: its statements, its assertions and the finished record in one transaction, retried whole.
    /// Without assertions the record goes in the statements' round trip, then the commit: two round trips per migration.
    /// </summary>
    private async Task RunTransactionAsync(PlanJob job, Step step, Stopwatch clock, CancellationToken cancellationToken)
    {
        var statements = step.Group!.Where(s => s.Kind != StepKind.Assert).ToList();
        var assertions = step.Group!.Where(s => s.Kind == StepKind.Assert).ToList();
        var failedAt = 0;
        string? blockers = null;
        var used = TimeSpan.Zero;
        var policy = Policy(job, [.. statements.SelectMany(Statements)], job.Migration.FileName);
        try
        {
            await LockAttempts.RunAsync(policy, null, MetricTag(job), async (lockTimeout, _) =>
            {
                failedAt = 0;
                used = lockTimeout;
                var before = clock.Elapsed; // the record adds the time of this attempt's transaction, as the server counts it
                await using var tx = await work.BeginTransactionAsync(cancellationToken);
                try
                {
                    await using (var batch = new NpgsqlBatch(work, tx))
                    {
                        // The timeouts lead the transaction's own batch rather than taking a round trip of their own: SET LOCAL
                        // applies to the commands after it, ends with the transaction, and is sent again on a retry.
                        batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL lock_timeout = " + Quote.Duration(lockTimeout)));
                        batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL statement_timeout = " + Quote.Duration(job.StatementTimeout)));
                        foreach (var statement in statements)
                        {
                            batch.BatchCommands.Add(new NpgsqlBatchCommand(statement.Sql!));
                        }
                        if (assertions.Count == 0)
                        {
                            AddRecord(batch, job, before);
                        }
                        await using var watch = BlockingSessions.Watch(observer, work.ProcessID, lockTimeout);
                        try
                        {
                            await batch.ExecuteNonQueryAsync(cancellationToken);
                        }
                        catch (PostgresException)
                        {
                            // Npgsql 10.0.0 does not say which command failed; the completed ones know their statement type.
                            var completed = batch.BatchCommands.Cast<NpgsqlBatchCommand>().TakeWhile(c => c.StatementType != StatementType.Unknown).Count();
                            failedAt = Math.Max(0, completed - TimeoutCommandCount);
                            blockers = watch.Last;
                            throw;
                        }
                    }
                    if (assertions.Count > 0)
                    {
                        foreach (var assertion in assertions)
                        {
                            await CheckAsync(assertion, tx, cancellationToken);
                        }
                        await using var record = new NpgsqlBatch(work, tx);
                        AddRecord(record, job, before);
                        await record.ExecuteNonQueryAsync(cancellationToken);
                    }
                    await tx.CommitAsync(cancellationToken);
                    return true;
                }
                catch
                {
                    await RollbackQuietlyAsync(tx);
                    throw;
                }
            }, (attempt, _, delay) => LogRetry(job, statements.Count == 0 ? step : statements[Math.Min(failedAt, statements.Count - 1)], blockers ?? policy.Blockers, used, attempt, delay),
                cancellationToken);
        }
        catch (Exception ex) when (ex is PostgresException or LockDeadlineException)
        {
            throw new StepFailedException(failedAt < statements.Count ? statements[failedAt] : step, ex);
        }
    }

    /// <summary>The job's finished record (<see cref="RunJournal.Finish"/>), added to the batch of its transaction; <paramref name="before"/> the time before that transaction.</summary>
    private static void AddRecord(NpgsqlBatch batch, PlanJob job, TimeSpan before)
    {
        foreach (var command in job.Journal.Finish(before))
        {
            batch.BatchCommands.Add(command);
        }
    }

    /// <summary>
    /// One SQL step with lock-timeout retries, and its progress record (<paramref name="index"/> -1: none): in the step's
    /// transaction when it has one, after it otherwise.
    /// </summary>
    private async Task RunSqlAsync(PlanJob job, Step step, int index, CancellationToken cancellationToken)
    {
        var resumingHere = job.Resuming && index == job.ResumeAt;
        var statements = Statements(step);
        // A plan stored before steps carried their check says it by its SQL: derived once, not per retry.
        var check = step.InTransaction ? null : step.Done ?? (step.Statement is null ? DoneCheck.For(statements is [var first, ..] ? first.Tree : null) : null);
        var endsTransactions = step.Statement?.Tree?.EndsTransactions == true;
        string? blockers = null;
        var used = TimeSpan.Zero;
        var policy = Policy(job, statements, step.Statement is { } one ? $"{job.Migration.FileName}:{one.Span.StartLine}: {one.CommandTag}" : $"{job.Migration.FileName}: {step.Description}");
        await LockAttempts.RunAsync(policy, step.LockTarget, MetricTag(job), async (lockTimeout, attempt) =>
        {
            used = lockTimeout;
            await _timeouts.SetLockTimeoutAsync(lockTimeout, cancellationToken);
            await using var watch = BlockingSessions.Watch(observer, work.ProcessID, lockTimeout);
            await using var probe = options.StatementProbe is { } before && step.Statement is { } statement ? await before(statement, work.ProcessID, cancellationToken) : null;
            try
            {
                var progress = index < 0 ? null : job.Journal.Progress(index + 1);
                if (!step.InTransaction)
                {
                    if (endsTransactions && attempt.Number == 0 && progress is not null)
                    {
                        // It commits as it goes, so no progress record can share its transaction: history says it is under way
                        // before it starts, and a crash leaves that truthful (its committed part stays, and a resume runs it
                        // again from its start).
                        await HistoryStore.RunAsync(work, [history.Event(job.Migration.Version, job.Migration.FileName, "running",
                            $"statement {index + 1} (line {step.Statement!.Span.StartLine}) commits by itself; if interrupted, the next run starts it again")], cancellationToken);
                        if (resumingHere)
                        {
                            logger.LogWarning(EventIds.Resuming, "{File}:{Line}: {Tag} commits by itself and was interrupted; running it again from its start (what it committed stays)",
                                job.Migration.FileName, step.Statement.Span.StartLine, step.Statement.CommandTag);
                        }
                    }
                    if (await OutsideTransaction.PrepareAsync(work, check, resumingHere || attempt.Number > 0, $"{job.Migration.FileName}: {step.Description}", logger, cancellationToken))
                    {
                        await using var command = new NpgsqlCommand(step.Sql, work);
                        await command.ExecuteNonQueryAsync(cancellationToken);
                    }
                    if (progress is not null)
                    {
                        await HistoryStore.RunAsync(work, [progress], cancellationToken);
                    }
                }
                else
                {
                    // The step (several statements when plan steps on one table were grouped) and its progress record commit
                    // together: no window in which one happened without the other.
                    await using var tx = await work.BeginTransactionAsync(cancellationToken);
                    await using var batch = new NpgsqlBatch(work, tx);
                    foreach (var grouped in statements)
                    {
                        batch.BatchCommands.Add(new NpgsqlBatchCommand(grouped.Text));
                    }
                    if (progress is not null)
                    {
                        batch.BatchCommands.Add(progress); // a new command per attempt: one belongs to one batch
                    }
                    await batch.ExecuteNonQueryAsync(cancellationToken);
                    await tx.CommitAsync(cancellationToken);
                }
                return true;
            }
            catch (PostgresException)
            {
                blockers = watch.Last;
                throw;
            }
        }, (attempt, _, delay) => LogRetry(job, step, blockers ?? policy.Blockers, used, attempt, delay), cancellationToken);
    }

    /// <summary>The statements a SQL step runs: its parsed statement (a SQL migration's), or its SQL parsed (a plan step may hold several).</summary>
    private static IReadOnlyList<SqlStatement> Statements(Step step) => step.Statement is { } statement ? [statement] : SqlParser.Parse(step.Sql!).Statements;

    /// <summary>The lock policy's attempt loop for <paramref name="statements"/>; <paramref name="where"/> names them in log lines and errors.</summary>
    private LockAcquisition.Request Policy(PlanJob job, IReadOnlyList<SqlStatement> statements, string where) =>
        _locks.For(new LockRequest(job.Migration.FileName, where, LockTarget.Of(statements), job.PinnedLockTimeout), work.ProcessID);

    private static KeyValuePair<string, object?> MetricTag(PlanJob job) => new(StepwiseDiagnostics.FileTag, job.Migration.FileName);

    private Task LogRetry(PlanJob job, Step step, string? blockers, TimeSpan lockTimeout, LockAttempt attempt, TimeSpan delay)
    {
        logger.LogWarning(EventIds.LockTimeoutRetry,
            "{File}:{Line}: {Step} waited lock_timeout ({Timeout} ms) for a lock{On}{Blockers}; retry {Attempt} in {Delay} ms",
            job.Migration.FileName, job.Journal.Where(step, null).Line, step.Statement?.CommandTag ?? step.Description, (long)lockTimeout.TotalMilliseconds,
            step.LockTarget is null ? "" : $" on {step.LockTarget}", blockers is null ? "" : $"; blocked by {blockers}", attempt.Number + 1, (long)delay.TotalMilliseconds);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A check (its query must return no rows) or an assertion (no rows, or one row holding true); throws
    /// <see cref="StepFailedException"/> when it does not hold.
    /// </summary>
    private async Task CheckAsync(Step step, NpgsqlTransaction? tx, CancellationToken cancellationToken)
    {
        // The user's query: its values are read as PostgreSQL prints them, so a value of any type (an enum, inet, a
        // domain, an extension's type) is shown, and no type handler is needed for it.
        await using var command = new NpgsqlCommand(step.Sql, work, tx) { AllResultTypesAreUnknown = true };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = 0;
        string? first = null;
        var passes = true;
        while (await reader.ReadAsync(cancellationToken))
        {
            rows++;
            if (rows == 1)
            {
                var values = Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : Printed(reader.GetString(i), reader.GetDataTypeName(i))).ToList();
                passes = step.Kind == StepKind.Assert && values is ["true"] && reader.GetDataTypeName(0) == "boolean";
                first = step.Kind == StepKind.Assert
                    ? string.Join(", ", values.Select((v, i) => $"{reader.GetName(i)}={v ?? "NULL"}"))
                    : values.FirstOrDefault();
            }
            else
            {
                passes = false;
            }
            if (step.Kind == StepKind.Check)
            {
                break;
            }
        }
        if (rows > 0 && !passes)
        {
            throw new StepFailedException(step, new InvalidOperationException(step.Kind == StepKind.Assert
                ? $"{step.Description} failed: its query returned {(rows == 1 ? "a row" : $"{rows} rows")}{(first is null ? "" : $" (first: {first})")}; it must return no rows, or one row holding true"
                : $"the query returned rows{(first is null ? "" : $" (first: {first})")}"));
        }
    }

    /// <summary>A value as PostgreSQL prints it; a boolean spelled out (<c>t</c> is <c>true</c>).</summary>
    private static string Printed(string text, string type) => type != "boolean" ? text : text == "t" ? "true" : text == "f" ? "false" : text;

    /// <summary>Records the failure of <paramref name="failed"/> (step <paramref name="index"/>, or a statement of it) truthfully, in its own transaction, and builds the exception to throw.</summary>
    private async Task<MigrationFailedException> FailAsync(PlanJob job, int index, Step failed, Exception error)
    {
        var m = job.Migration;
        var pg = error as PostgresException;
        var message = pg is null ? error.Message : $"{pg.SqlState}: {pg.MessageText}";
        var (record, nextStep) = job.Journal.Failed(job.Steps, index, failed, message);
        try
        {
            await HistoryStore.RunAsync(work, record, CancellationToken.None);
        }
        catch (NpgsqlException ex)
        {
            logger.LogError(EventIds.MigrationFailed, ex, "could not record the failure of {File} in history", m.FileName);
        }
        var (line, column) = job.Journal.Where(failed, pg);
        var described = job.Journal.Describe(failed, message);
        logger.LogError(EventIds.MigrationFailed, "{File}:{Line}:{Column}: {Message}", m.FileName, line, column, described);
        return new MigrationFailedException(described, m.Path, line, column, failed.Sql, pg?.SqlState, pg?.Detail, pg?.Hint, nextStep, error);
    }

    private static async Task RollbackQuietlyAsync(NpgsqlTransaction tx)
    {
        try
        {
            await tx.RollbackAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            // Already rolled back by the server (the error aborted it) or the connection is gone.
        }
    }
}

/// <summary>A step failed: a statement of a transaction step, or a check or assertion that did not hold (the inner exception says why).</summary>
internal sealed class StepFailedException(Step step, Exception inner) : Exception(inner.Message, inner)
{
    public Step Step { get; } = step;
}
