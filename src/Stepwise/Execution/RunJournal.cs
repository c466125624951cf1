using Microsoft.Extensions.Logging;
using Npgsql;
using Stepwise.Migrations;
using Stepwise.Planning;

namespace Stepwise.Execution;

/// <summary>
/// What history records around the steps of one run, so it stays truthful at every point: before the first step, after
/// each, when all ran, and on failure (with what the user does next). One kind per kind of run: a SQL migration's section
/// (<see cref="SectionJournal"/>) and an operation migration's phase (<see cref="PhaseJournal"/>); <see cref="PlanExecutor"/> runs both.
/// </summary>
internal abstract class RunJournal
{
    /// <summary>Records nothing (clean-up steps recorded by their caller as a whole).</summary>
    public static readonly RunJournal None = new NoJournal();

    /// <summary>The phase, for log lines (<c>up</c>, <c>down</c>, <c>start</c>, ...).</summary>
    public abstract string Phase { get; }

    /// <summary>How loudly each finished step is logged.</summary>
    public virtual LogLevel StepLogLevel => LogLevel.Debug;

    /// <summary>Before the first step of a run that does not resume an interrupted one.</summary>
    public virtual IReadOnlyList<NpgsqlBatchCommand> Begin() => [];

    /// <summary>The record that <paramref name="done"/> steps are done, or null when this run records no progress per step.</summary>
    public abstract NpgsqlBatchCommand? Progress(int done);

    /// <summary>
    /// When every step ran (in the transaction of a transaction step, possibly in its statements' round trip):
    /// <paramref name="elapsed"/> is the time before the record was sent; the server adds its transaction's time.
    /// </summary>
    public abstract IEnumerable<NpgsqlBatchCommand> Finish(TimeSpan elapsed);

    /// <summary>What history records when step <paramref name="index"/> failed (<paramref name="failed"/>: it, or its statement that failed), and what to do next.</summary>
    public abstract (IReadOnlyList<NpgsqlBatchCommand> Record, string NextStep) Failed(IReadOnlyList<Step> steps, int index, Step failed, string message);

    /// <summary>Where in the file <paramref name="step"/> is (at <paramref name="error"/>'s position within it, when it has one).</summary>
    public abstract (int Line, int Column) Where(Step step, PostgresException? error);

    /// <summary>The failure as the exception's message says it.</summary>
    public virtual string Describe(Step failed, string message) => message;

    /// <summary>The backfill checkpoint id of step <paramref name="index"/>.</summary>
    public virtual int BackfillId(int index) => throw new InvalidOperationException("this run has no backfill steps");

    private sealed class NoJournal : RunJournal
    {
        public override string Phase => "kept";

        public override NpgsqlBatchCommand? Progress(int done) => null;

        public override IEnumerable<NpgsqlBatchCommand> Finish(TimeSpan elapsed) => [];

        public override (IReadOnlyList<NpgsqlBatchCommand> Record, string NextStep) Failed(IReadOnlyList<Step> steps, int index, Step failed, string message) => ([], "");

        public override (int Line, int Column) Where(Step step, PostgresException? error) => (1, 1);
    }
}

/// <summary>
/// A SQL migration's section: in one transaction the history row is written with it (applied, or the row removed for a
/// rollback); statement by statement, a progress record after each statement, resumed at the first unfinished one.
/// </summary>
internal sealed class SectionJournal(HistoryStore history, Migration migration, MigrationSection section) : RunJournal
{
    private bool IsDown => section.Direction == SectionDirection.Down;

    private string Kind => migration.Kind == MigrationKind.Repeatable ? HistoryStore.Repeatable : HistoryStore.Versioned;

    private bool Versioned => Kind == HistoryStore.Versioned;

    /// <summary>The status that marks a statement-by-statement run in progress.</summary>
    public HistoryStatus ProgressStatus => IsDown ? HistoryStatus.Reverting : HistoryStatus.Partial;

    public override string Phase => IsDown ? "down" : "up";

    public override IReadOnlyList<NpgsqlBatchCommand> Begin() => !Versioned || section.RunsInTransaction ? []
        : IsDown ? [history.Progress(migration.Version, ProgressStatus, 0, null)]
        : [.. history.Record(migration.Version, migration.FileName, Kind, migration.Checksum, ProgressStatus, 0, section.Statements.Count, null, null)];

    public override NpgsqlBatchCommand? Progress(int done) => Versioned && !section.RunsInTransaction ? history.Progress(migration.Version, ProgressStatus, done, null) : null;

    public override IEnumerable<NpgsqlBatchCommand> Finish(TimeSpan elapsed)
    {
        var m = migration;
        var duration = (long)elapsed.TotalMilliseconds;
        if (IsDown)
        {
            return [history.Delete(m.Version, m.FileName, Kind), history.Event(m.Version, m.FileName, "rolled back", "{ms} ms", duration)];
        }
        if (Versioned && !section.RunsInTransaction)
        {
            return [history.Finish(m.Version, duration), history.Event(m.Version, m.FileName, "applied", "statement by statement, {ms} ms", duration)];
        }
        return [.. history.Record(m.Version, m.FileName, Kind, m.Checksum, HistoryStatus.Applied, section.Statements.Count, section.Statements.Count, duration, null),
            history.Event(m.Version, m.FileName, "applied", "{ms} ms", duration)];
    }

    public override (IReadOnlyList<NpgsqlBatchCommand> Record, string NextStep) Failed(IReadOnlyList<Step> steps, int index, Step failed, string message)
    {
        var m = migration;
        var total = section.Statements.Count;
        if (section.RunsInTransaction || !Versioned)
        {
            return IsDown
                ? ([history.Event(m.Version, m.FileName, "rollback failed", message)],
                    "the rollback was undone in full; the migration is still applied. Fix the down section and run stepwise rollback again.")
                : ([.. history.Record(m.Version, m.FileName, Kind, m.Checksum, HistoryStatus.Failed, 0, total, null, message), history.Event(m.Version, m.FileName, "failed", message)],
                    "the migration was rolled back: nothing from it is applied. Fix the cause (the file may be edited: it is not applied) and run stepwise apply again.");
        }
        var completed = Math.Min(index, total); // assertions follow the statements and record no progress
        var status = completed == 0 && !IsDown ? HistoryStatus.Failed : ProgressStatus;
        var command = IsDown ? "rollback" : "apply";
        var nextStep = completed == 0
            ? $"no statement of it was applied. Fix the cause and run stepwise {command} again."
            : $"statements 1-{completed} of {total} ran and are recorded; stepwise {command} resumes at statement {completed + 1}"
              + (failed.Statement is null ? "." : $" (line {failed.Statement.Span.StartLine}) once the cause is fixed. To change that statement, edit the file, then accept the edit with stepwise repair --yes.");
        return ([history.Progress(m.Version, status, completed, message), history.Event(m.Version, m.FileName, IsDown ? "rollback failed" : "failed", message)], nextStep);
    }

    public override (int Line, int Column) Where(Step step, PostgresException? error)
    {
        if (step.Statement is not { } statement)
        {
            return (section.MarkerLine, 1);
        }
        if (error is { Position: > 0 } && migration.Script is { } script)
        {
            return script.Source.LineColumn(script.Source.CodePointPositionToChar(statement.Span.Start, error.Position));
        }
        return (statement.Span.StartLine, statement.Span.StartColumn);
    }
}

/// <summary>
/// One phase of an operation migration: the phase's status first, a progress record after each step (in a transactional step's transaction); when all
/// ran, the phase's end (started and awaiting complete, applied, or the row removed after a rollback).
/// </summary>
internal sealed class PhaseJournal(HistoryStore history, Migration migration, Plan plan, PlanPhase phase) : RunJournal
{
    /// <summary>The status that marks <paramref name="phase"/> in progress.</summary>
    public static HistoryStatus Status(PlanPhase phase) => phase switch
    {
        PlanPhase.Start => HistoryStatus.Starting,
        PlanPhase.Complete => HistoryStatus.Completing,
        _ => HistoryStatus.RollingBack,
    };

    public override string Phase => phase.ToString().ToLowerInvariant();

    public override LogLevel StepLogLevel => LogLevel.Information;

    public override IReadOnlyList<NpgsqlBatchCommand> Begin() => [history.Phase(migration.Version, Status(phase), plan.Steps(phase).Count, null)];

    public override NpgsqlBatchCommand? Progress(int done) => history.Progress(migration.Version, Status(phase), done, null);

    public override IEnumerable<NpgsqlBatchCommand> Finish(TimeSpan elapsed)
    {
        var (m, ms) = (migration, (long)elapsed.TotalMilliseconds);
        return phase switch
        {
            PlanPhase.Start => [history.Phase(m.Version, HistoryStatus.Started, plan.Complete.Count, null), history.Event(m.Version, m.FileName, "started", "{ms} ms; waiting for stepwise complete", ms)],
            PlanPhase.Complete => [history.Finish(m.Version, ms), history.Event(m.Version, m.FileName, "completed", "{ms} ms", ms)],
            _ => [history.Delete(m.Version, m.FileName, HistoryStore.Versioned), history.ForgetBackfills(m.Version), history.Event(m.Version, m.FileName, "rolled back", "{ms} ms", ms)],
        };
    }

    public override (IReadOnlyList<NpgsqlBatchCommand> Record, string NextStep) Failed(IReadOnlyList<Step> steps, int index, Step failed, string message)
    {
        var command = phase switch { PlanPhase.Start => "apply", PlanPhase.Complete => "complete", _ => "rollback" };
        var done = index == 0 ? $"no step of the {Phase} phase ran" : $"steps 1-{index} of {steps.Count} of the {Phase} phase are done and recorded";
        var next = $"{done}; fix the cause and run stepwise {command}: it resumes at step {index + 1} ({failed.Description})"
            + (phase == PlanPhase.Start ? ", or run stepwise rollback to undo the start." : ".");
        return ([history.Progress(migration.Version, Status(phase), index, message), history.Event(migration.Version, migration.FileName, $"{Phase} failed", $"step {index + 1}: {message}")], next);
    }

    public override (int Line, int Column) Where(Step step, PostgresException? error) =>
        migration.Operations?.Operations.ElementAtOrDefault(step.Operation) is { } operation ? (operation.Position.Line, operation.Position.Column) : (1, 1);

    public override string Describe(Step failed, string message) => $"{failed.Description}: {message}";

    public override int BackfillId(int index) => (int)phase * 10_000 + index;
}
