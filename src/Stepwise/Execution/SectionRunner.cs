using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using Stepwise.Migrations;
using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Execution;

/// <summary>
/// Runs one section of one migration and keeps history truthful at every point:
/// <list type="bullet">
/// <item>in one transaction, with the history row written in that same transaction, so the database
/// holds either all of it (recorded) or none of it; or</item>
/// <item>statement by statement (when the file says so, or a statement cannot run in a transaction),
/// recording progress after each statement, so a crash resumes at the first unfinished one. A
/// statement that can run in a transaction commits together with its progress record.</item>
/// </list>
/// A statement that hits lock_timeout (SQLSTATE 55P03) is retried, the whole transaction for a
/// transactional section, with exponential backoff and jitter; each wait is logged with the sessions
/// that blocked it.
/// </summary>
internal sealed class SectionRunner(NpgsqlConnection work, NpgsqlConnection observer, HistoryStore history, MigratorOptions options, ILogger logger)
{
    /// <summary>What to run and how to record it.</summary>
    internal sealed record Job(Migration Migration, MigrationSection Section, HistoryRow? Row)
    {
        public bool IsDown => Section.Direction == SectionDirection.Down;

        public string Kind => Migration.Kind == MigrationKind.Repeatable ? HistoryStore.Repeatable : HistoryStore.Versioned;

        /// <summary>The status that marks a statement-by-statement run in progress.</summary>
        public HistoryStatus ProgressStatus => IsDown ? HistoryStatus.Reverting : HistoryStatus.Partial;

        /// <summary>True when an earlier statement-by-statement run of this section was interrupted.</summary>
        public bool Resuming => Row is not null && Row.Status == ProgressStatus;

        /// <summary>Where a statement-by-statement run resumes.</summary>
        public int ResumeAt => Resuming ? Row!.StatementsCompleted : 0;
    }

    /// <summary>Runs the job; returns how long it took. Throws <see cref="MigrationFailedException"/> on failure.</summary>
    public async Task<TimeSpan> RunAsync(Job job, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        if (job.Section.RunsInTransaction)
        {
            await RunInTransactionAsync(job, clock, cancellationToken);
        }
        else
        {
            _timeouts.Forget();
            await _timeouts.SetStatementTimeoutAsync(StatementTimeout(job.Section), cancellationToken);
            await RunStatementByStatementAsync(job, clock, cancellationToken);
        }
        return clock.Elapsed;
    }

    private readonly SessionTimeouts _timeouts = new(work);

    private ILockPolicy Policy(MigrationSection section) => LockPolicies.ForSection(options, section.LockTimeout);

    private TimeSpan StatementTimeout(MigrationSection section) => section.StatementTimeout ?? options.StatementTimeout ?? TimeSpan.Zero;

    private static KeyValuePair<string, object?> MetricTag(Job job) => new(StepwiseDiagnostics.FileTag, job.Migration.FileName);

    /// <summary>How many commands lead a transactional section's batch (its timeouts).</summary>
    private const int TimeoutCommandCount = 2;

    private async Task RunInTransactionAsync(Job job, Stopwatch clock, CancellationToken cancellationToken)
    {
        var section = job.Section;
        var failedAt = 0;
        string? blockers = null;
        var used = TimeSpan.Zero;
        try
        {
            await LockAttempts.RunAsync(Policy(section), null, MetricTag(job), async (lockTimeout, _) =>
            {
                failedAt = 0;
                used = lockTimeout;
                await using var tx = await work.BeginTransactionAsync(cancellationToken);
                try
                {
                    await using (var batch = new NpgsqlBatch(work, tx))
                    {
                        // The timeouts lead the section's own batch rather than taking a round trip of their own: SET LOCAL
                        // applies to the commands after it, ends with the transaction, and is sent again on a retry.
                        batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL lock_timeout = " + Quote.Duration(lockTimeout)));
                        batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL statement_timeout = " + Quote.Duration(StatementTimeout(section))));
                        foreach (var statement in section.Statements)
                        {
                            batch.BatchCommands.Add(new NpgsqlBatchCommand(statement.Text));
                        }
                        await using var watch = BlockingSessions.Watch(observer, work.ProcessID, lockTimeout);
                        try
                        {
                            await batch.ExecuteNonQueryAsync(cancellationToken); // the whole section in one round trip
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
                    await CheckAssertionsAsync(job, tx, cancellationToken);
                    await using (var record = new NpgsqlBatch(work, tx))
                    {
                        foreach (var command in Finish(job, clock))
                        {
                            record.BatchCommands.Add(command);
                        }
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
            }, (attempt, _, delay) => LogRetry(job, section.Statements.Count == 0 ? null : section.Statements[Math.Min(failedAt, section.Statements.Count - 1)],
                blockers, used, attempt, delay), cancellationToken);
        }
        catch (PostgresException ex)
        {
            var statement = failedAt < section.Statements.Count ? section.Statements[failedAt] : null;
            throw await FailAsync(job, statement, ex, completed: 0, cancellationToken);
        }
        catch (AssertionFailedException ex)
        {
            throw await FailAsync(job, ex.Assertion.Query, ex, completed: 0, cancellationToken);
        }
    }

    private async Task RunStatementByStatementAsync(Job job, Stopwatch clock, CancellationToken cancellationToken)
    {
        var statements = job.Section.Statements;
        var resumeAt = job.ResumeAt;
        var versioned = job.Kind == HistoryStore.Versioned;
        if (versioned)
        {
            if (job.Resuming)
            {
                logger.LogInformation(EventIds.Resuming, "{File}: resuming at statement {Index} of {Total} (line {Line})",
                    job.Migration.FileName, resumeAt + 1, statements.Count, resumeAt < statements.Count ? statements[resumeAt].Span.StartLine : 0);
            }
            else if (job.IsDown)
            {
                await HistoryStore.RunAsync(work, [history.Progress(job.Migration.Version, job.ProgressStatus, 0, null)], cancellationToken);
            }
            else
            {
                await HistoryStore.RunAsync(work, history.Record(job.Migration.Version, job.Migration.FileName, job.Kind, job.Migration.Checksum,
                    job.ProgressStatus, 0, statements.Count, null, null), cancellationToken);
            }
        }

        for (var i = resumeAt; i < statements.Count; i++)
        {
            var statement = statements[i];
            try
            {
                // The statement a crash interrupted may have finished without its progress being recorded.
                await RunOneAsync(job, statement, i, resumingHere: i == resumeAt && job.Resuming, versioned, cancellationToken);
            }
            catch (PostgresException ex)
            {
                throw await FailAsync(job, statement, ex, completed: i, cancellationToken);
            }
        }

        try
        {
            await CheckAssertionsAsync(job, null, cancellationToken);
        }
        catch (AssertionFailedException ex)
        {
            throw await FailAsync(job, ex.Assertion.Query, ex, completed: statements.Count, cancellationToken);
        }
        await HistoryStore.RunAsync(work, Finish(job, clock), cancellationToken);
    }

    private async Task RunOneAsync(Job job, SqlStatement statement, int index, bool resumingHere, bool versioned, CancellationToken cancellationToken)
    {
        var outsideTransaction = statement.Tree?.RunsOutsideTransaction == true;
        string? blockers = null;
        var used = TimeSpan.Zero;
        await LockAttempts.RunAsync(Policy(job.Section), statement.Tree?.Target?.Qualified, MetricTag(job), async (lockTimeout, attempt) =>
        {
            used = lockTimeout;
            await _timeouts.SetLockTimeoutAsync(lockTimeout, cancellationToken);
            await using var watch = BlockingSessions.Watch(observer, work.ProcessID, lockTimeout);
            await using var probe = options.StatementProbe is { } before ? await before(statement, work.ProcessID, cancellationToken) : null;
            try
            {
                if (outsideTransaction)
                {
                    if (versioned && attempt.Number == 0 && statement.Tree!.EndsTransactions)
                    {
                        // It commits as it goes, so no progress record can share its transaction: history says it is
                        // under way before it starts, and a crash leaves that truthful (its committed part stays, and a
                        // resume runs it again from its start).
                        await HistoryStore.RunAsync(work, [history.Event(job.Migration.Version, job.Migration.FileName, "running",
                            $"statement {index + 1} (line {statement.Span.StartLine}) commits by itself; if interrupted, the next run starts it again")], cancellationToken);
                        if (resumingHere)
                        {
                            logger.LogWarning(EventIds.Resuming, "{File}:{Line}: {Tag} commits by itself and was interrupted; running it again from its start (what it committed stays)",
                                job.Migration.FileName, statement.Span.StartLine, statement.CommandTag);
                        }
                    }
                    if (await OutsideTransaction.PrepareAsync(work, DoneCheck.For(statement.Tree), resumingHere || attempt.Number > 0, $"{job.Migration.FileName}:{statement.Span.StartLine}", logger, cancellationToken))
                    {
                        await using var command = new NpgsqlCommand(statement.Text, work);
                        await command.ExecuteNonQueryAsync(cancellationToken);
                    }
                    if (versioned)
                    {
                        await HistoryStore.RunAsync(work, [history.Progress(job.Migration.Version, job.ProgressStatus, index + 1, null)], cancellationToken);
                    }
                }
                else
                {
                    // The statement and its progress record commit together: no window in which one happened without the other.
                    await using var tx = await work.BeginTransactionAsync(cancellationToken);
                    await using var batch = new NpgsqlBatch(work, tx);
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(statement.Text));
                    if (versioned)
                    {
                        batch.BatchCommands.Add(history.Progress(job.Migration.Version, job.ProgressStatus, index + 1, null));
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
        }, (attempt, _, delay) => LogRetry(job, statement, blockers, used, attempt, delay), cancellationToken);
    }

    private Task LogRetry(Job job, SqlStatement? statement, string? blockers, TimeSpan lockTimeout, LockAttempt attempt, TimeSpan delay)
    {
        logger.LogWarning(EventIds.LockTimeoutRetry,
            "{File}:{Line}: {Tag} waited lock_timeout ({Timeout} ms) for a lock{Blockers}; retry {Attempt} in {Delay} ms",
            job.Migration.FileName, statement?.Span.StartLine ?? job.Section.MarkerLine, statement?.CommandTag ?? "the migration",
            (long)lockTimeout.TotalMilliseconds, blockers is null ? "" : $"; blocked by {blockers}", attempt.Number + 1, (long)delay.TotalMilliseconds);
        return Task.CompletedTask;
    }

    private async Task CheckAssertionsAsync(Job job, NpgsqlTransaction? tx, CancellationToken cancellationToken)
    {
        foreach (var assertion in job.Section.Assertions)
        {
            await using var command = new NpgsqlCommand(assertion.Query.Text, work, tx);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = 0;
            string? first = null;
            var passes = true;
            while (await reader.ReadAsync(cancellationToken))
            {
                rows++;
                if (rows == 1)
                {
                    var values = new object[reader.FieldCount];
                    reader.GetValues(values);
                    first = string.Join(", ", values.Select((v, i) => $"{reader.GetName(i)}={(v is DBNull ? "NULL" : v)}"));
                    passes = reader.FieldCount == 1 && values[0] is true;
                }
                else
                {
                    passes = false;
                }
            }
            if (rows > 0 && !passes)
            {
                throw new AssertionFailedException(assertion, $"assertion '{assertion.Name}' failed: its query returned {(rows == 1 ? "a row" : $"{rows} rows")}{(first is null ? "" : $" (first: {first})")}; it must return no rows, or one row holding true");
            }
        }
    }

    private IEnumerable<NpgsqlBatchCommand> Finish(Job job, Stopwatch clock)
    {
        var m = job.Migration;
        var duration = (long)clock.Elapsed.TotalMilliseconds;
        if (job.IsDown)
        {
            return [history.Delete(m.Version, m.FileName, job.Kind), history.Event(m.Version, m.FileName, "rolled back", $"{duration} ms")];
        }
        if (job.Kind == HistoryStore.Versioned && !job.Section.RunsInTransaction)
        {
            return [history.Finish(m.Version, duration), history.Event(m.Version, m.FileName, "applied", $"statement by statement, {duration} ms")];
        }
        return [.. history.Record(m.Version, m.FileName, job.Kind, m.Checksum, HistoryStatus.Applied, job.Section.Statements.Count, job.Section.Statements.Count, duration, null),
            history.Event(m.Version, m.FileName, "applied", $"{duration} ms")];
    }

    /// <summary>Records the failure truthfully (in its own transaction) and builds the exception to throw.</summary>
    private async Task<MigrationFailedException> FailAsync(Job job, SqlStatement? statement, Exception error, int completed, CancellationToken cancellationToken)
    {
        var m = job.Migration;
        var pg = error as PostgresException;
        var message = pg is null ? error.Message : $"{pg.SqlState}: {pg.MessageText}";
        var total = job.Section.Statements.Count;
        var transactional = job.Section.RunsInTransaction;
        string nextStep;
        IEnumerable<NpgsqlBatchCommand> record;
        if (transactional || job.Kind == HistoryStore.Repeatable)
        {
            nextStep = job.IsDown
                ? "the rollback was undone in full; the migration is still applied. Fix the down section and run stepwise rollback again."
                : "the migration was rolled back: nothing from it is applied. Fix the cause (the file may be edited: it is not applied) and run stepwise apply again.";
            record = job.IsDown
                ? [history.Event(m.Version, m.FileName, "rollback failed", message)]
                : [.. history.Record(m.Version, m.FileName, job.Kind, m.Checksum, HistoryStatus.Failed, 0, total, null, message), history.Event(m.Version, m.FileName, "failed", message)];
        }
        else
        {
            var status = completed == 0 && !job.IsDown ? HistoryStatus.Failed : job.ProgressStatus;
            nextStep = completed == 0
                ? $"no statement of it was applied. Fix the cause and run stepwise {(job.IsDown ? "rollback" : "apply")} again."
                : $"statements 1-{completed} of {total} ran and are recorded; stepwise {(job.IsDown ? "rollback" : "apply")} resumes at statement {completed + 1}"
                  + (statement is null ? "." : $" (line {statement.Span.StartLine}) once the cause is fixed. To change that statement, edit the file, then accept the edit with stepwise repair --yes.");
            record = [history.Progress(m.Version, status, completed, message), history.Event(m.Version, m.FileName, job.IsDown ? "rollback failed" : "failed", message)];
        }
        try
        {
            await HistoryStore.RunAsync(work, record, CancellationToken.None);
        }
        catch (NpgsqlException ex)
        {
            logger.LogError(EventIds.MigrationFailed, ex, "could not record the failure of {File} in history", m.FileName);
        }

        var (line, column) = (statement?.Span.StartLine ?? job.Section.MarkerLine, statement?.Span.StartColumn ?? 1);
        if (statement is not null && pg is { Position: > 0 } && m.Script is { } script)
        {
            (line, column) = script.Source.LineColumn(script.Source.CodePointPositionToChar(statement.Span.Start, pg.Position));
        }
        logger.LogError(EventIds.MigrationFailed, "{File}:{Line}:{Column}: {Message}", m.FileName, line, column, message);
        return new MigrationFailedException(message, m.Path, line, column, statement?.Text, pg?.SqlState, pg?.Detail, pg?.Hint, nextStep, error);
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

/// <summary>A post-condition did not hold.</summary>
internal sealed class AssertionFailedException(MigrationAssertion assertion, string message) : Exception(message)
{
    public MigrationAssertion Assertion { get; } = assertion;
}
