using System.CommandLine;
using Spectre.Console;
using Stepwise.Cli.Rendering;
using Stepwise.Execution;
using Stepwise.Migrations;
using Stepwise.Planning;

namespace Stepwise.Cli.Commands;

/// <summary><c>stepwise apply</c>: applies pending migrations under the migration lock.</summary>
internal sealed class ApplyCommand : ICliCommand
{
    private readonly Option<long?> _to = new("--to") { Description = "Apply nothing newer than this version" };
    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Print what would run (statements, transactions, locks); change nothing" };
    private readonly Option<bool> _outOfOrder = new("--allow-out-of-order") { Description = "Apply pending migrations older than an applied one (e.g. from a merged branch)" };
    private readonly Option<bool> _complete = new("--complete") { Description = "Also run an operation migration's complete phase right after its start (no rollout window)" };
    private readonly RunOptions _run = new();

    public Command Build()
    {
        var command = new Command("apply", "Apply pending migrations: one transaction each, or statement by statement (resumable) when a statement cannot run in one");
        command.Options.Add(_to);
        command.Options.Add(_dryRun);
        command.Options.Add(_outOfOrder);
        command.Options.Add(_complete);
        _run.AddTo(command);
        return command;
    }

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        MigratorOptions? options = null;
        var migrator = context.CreateMigrator(o => { _run.Configure(parse, o); options = o; });
        var result = await BackfillBars.RunAsync(context, options!.Backfill, () => migrator.ApplyAsync(new ApplyRequest
        {
            ToVersion = parse.GetValue(_to),
            DryRun = parse.GetValue(_dryRun),
            AllowOutOfOrder = parse.GetValue(_outOfOrder),
            Complete = parse.GetValue(_complete),
        }, cancellationToken));
        RunRendering.Render(context.Output, result, "apply");
        return ExitCodes.Success;
    }
}

/// <summary>Options shared by the commands that run migrations.</summary>
internal sealed class RunOptions
{
    private readonly Option<string?> _lockTimeout = new("--lock-timeout") { Description = "lock_timeout for backfill batches, which queue nobody (default 2s)" };
    private readonly Option<string?> _statementTimeout = new("--statement-timeout") { Description = "statement_timeout for migration statements (default none)" };
    private readonly Option<string?> _maxLockWait = new("--max-lock-wait") { Description = "Longest lock_timeout of a statement, the worst wait a client sees behind it (default 1s); holders older than this are waited out, not queued behind" };
    private readonly Option<string?> _lockDeadline = new("--lock-deadline") { Description = "How long one statement keeps trying to get its locks before the run stops, resumable (default 30min)" };
    private readonly Option<bool> _noCancelAutovacuum = new("--no-cancel-autovacuum") { Description = "Wait for an autovacuum holding a conflicting lock instead of cancelling it" };
    private readonly Option<string?> _terminateIdle = new("--terminate-idle-after") { Description = "Terminate sessions idle in transaction longer than this that hold a conflicting lock (default: never, they are reported)" };
    private readonly Option<bool> _noWait = new("--no-wait") { Description = "Exit (code 3) instead of waiting when another run holds the migration lock" };
    private readonly Option<string?> _stepLockTimeout = new("--step-lock-timeout") { Description = "First lock_timeout of every lock-taking statement (default 50ms; clients queue behind a waiting statement); it rises toward the table's own transaction times, up to --max-lock-wait" };
    private readonly Option<string?> _batchTime = new("--batch-time") { Description = "Target duration of one backfill batch (one transaction holding its row locks; default 200ms)" };
    private readonly Option<string?> _batchPause = new("--batch-pause") { Description = "Pause after each backfill batch, leaving room to traffic (default none)" };
    private readonly Option<string?> _maxLag = new("--max-replication-lag") { Description = "Pause backfill batches while a replica's replay lag is above this" };

    public void AddTo(Command command)
    {
        command.Options.Add(_stepLockTimeout);
        command.Options.Add(_batchTime);
        command.Options.Add(_batchPause);
        command.Options.Add(_maxLag);
        command.Options.Add(_lockTimeout);
        command.Options.Add(_statementTimeout);
        command.Options.Add(_maxLockWait);
        command.Options.Add(_lockDeadline);
        command.Options.Add(_noCancelAutovacuum);
        command.Options.Add(_terminateIdle);
        command.Options.Add(_noWait);
    }

    public void Configure(ParseResult parse, MigratorOptions options)
    {
        if (parse.GetValue(_lockTimeout) is { } lockTimeout)
        {
            options.LockTimeout = Duration(lockTimeout, "--lock-timeout");
        }
        if (parse.GetValue(_statementTimeout) is { } statementTimeout)
        {
            options.StatementTimeout = Duration(statementTimeout, "--statement-timeout");
        }
        if (parse.GetValue(_maxLockWait) is { } maxLockWait)
        {
            options.MaxLockWait = Positive(Duration(maxLockWait, "--max-lock-wait"), "--max-lock-wait");
        }
        if (parse.GetValue(_lockDeadline) is { } deadline)
        {
            options.LockDeadline = Positive(Duration(deadline, "--lock-deadline"), "--lock-deadline");
        }
        options.CancelAutovacuum = !parse.GetValue(_noCancelAutovacuum);
        if (parse.GetValue(_terminateIdle) is { } idle)
        {
            options.TerminateIdleInTransactionAfter = Duration(idle, "--terminate-idle-after");
        }
        options.WaitForLock = !parse.GetValue(_noWait);
        if (parse.GetValue(_stepLockTimeout) is { } stepLockTimeout)
        {
            options.StepLockTimeout = Duration(stepLockTimeout, "--step-lock-timeout");
        }
        if (parse.GetValue(_batchTime) is { } batchTime)
        {
            options.Backfill.TargetBatchDuration = Duration(batchTime, "--batch-time");
        }
        if (parse.GetValue(_batchPause) is { } pause)
        {
            options.Backfill.Pause = Duration(pause, "--batch-pause");
        }
        if (parse.GetValue(_maxLag) is { } lag)
        {
            options.Backfill.MaxReplicationLag = Duration(lag, "--max-replication-lag");
        }
    }

    private static TimeSpan Positive(TimeSpan duration, string option) =>
        duration > TimeSpan.Zero ? duration : throw new CliException(ExitCodes.BadInput, $"{option} must be more than 0");

    private static TimeSpan Duration(string text, string option) =>
        DurationText.TryParse(text, out var duration)
            ? duration
            : throw new CliException(ExitCodes.BadInput, $"{option} '{text}' is not a duration: write e.g. 500ms, 5s, 10min");
}

/// <summary>Shows what apply or rollback did, or would do.</summary>
internal static class RunRendering
{
    public static void Render(Output output, MigrationResult result, string verb)
    {
        if (output.Format == OutputFormat.Json)
        {
            output.WriteJson(new
            {
                outputVersion = 1,
                dryRun = result.DryRun,
                migrations = result.Runs.Select(r => new
                {
                    version = r.Migration.Version == 0 ? (long?)null : r.Migration.Version,
                    file = r.Migration.FileName,
                    section = r.Section.Direction.ToString().ToLowerInvariant(),
                    transaction = r.Section.RunsInTransaction ? "single" : "per-statement",
                    why = r.Section.WhyNoTransaction,
                    resumeAt = r.ResumeAt == 0 ? (int?)null : r.ResumeAt + 1,
                    durationMs = result.DryRun ? (long?)null : (long)r.Duration.TotalMilliseconds,
                    statements = result.DryRun ? r.Section.Statements.Select((s, i) => new
                    {
                        index = i + 1,
                        line = s.Span.StartLine,
                        kind = s.CommandTag,
                        skipped = i < r.ResumeAt,
                        locks = StatementLockText.For(s, why: true, result.ForeignKeys),
                        sql = s.Text,
                    }) : null,
                    assertions = r.Section.Assertions.Select(a => a.Name),
                }),
                operations = result.Operations.Select(o => new
                {
                    version = o.Migration.Version,
                    file = o.Migration.FileName,
                    phase = o.Phase.ToString().ToLowerInvariant(),
                    resumeAt = o.ResumeAt == 0 ? (int?)null : o.ResumeAt + 1,
                    durationMs = result.DryRun ? (long?)null : (long)o.Duration.TotalMilliseconds,
                    steps = o.Steps.Select((s, i) => new
                    {
                        index = i + 1,
                        description = s.Description,
                        kind = s.Kind.ToString().ToLowerInvariant(),
                        transaction = s.Kind == Planning.StepKind.Sql ? (s.InTransaction ? "own" : "none") : null,
                        @lock = s.Lock == Planning.LockLevel.None ? null : $"{s.Lock.ToSql()} on {s.LockTarget}",
                        sql = s.Sql,
                        skipped = i < o.ResumeAt,
                    }),
                }),
            });
            return;
        }
        var console = output.Console;
        if (result.DryRun)
        {
            RenderPlan(output, result, verb);
            return;
        }
        RenderOperations(output, result);
        if (result.Runs.Count == 0)
        {
            if (result.Operations.Count == 0)
            {
                console.MarkupLine(verb == "apply" ? "[green]nothing to apply[/]: up to date" : "nothing to roll back");
            }
            return;
        }
        var done2 = new Table().Border(TableBorder.Rounded).AddColumn("file").AddColumn("transaction").AddColumn("statements", c => c.RightAligned()).AddColumn("ms", c => c.RightAligned());
        // A first deploy can apply hundreds: show the slowest few, not a screenful of identical rows (--format json has them all).
        const int shown = 25;
        IReadOnlyList<MigrationRun> runs = result.Runs.Count <= shown
            ? result.Runs
            : [.. result.Runs.Select((r, i) => (Run: r, Index: i)).OrderByDescending(x => x.Run.Duration).Take(shown).OrderBy(x => x.Index).Select(x => x.Run)];
        foreach (var run in runs)
        {
            done2.AddRow(Output.Escape(run.Migration.FileName), run.Section.RunsInTransaction ? "single" : "per statement",
                run.Section.Statements.Count.ToString(), ((long)run.Duration.TotalMilliseconds).ToString());
        }
        console.Write(done2);
        if (runs.Count < result.Runs.Count)
        {
            console.MarkupLine($"[dim]the {shown} slowest of {result.Runs.Count} shown; --format json lists every one[/]");
        }
        console.MarkupLine(verb == "apply" ? $"[green]applied {result.Runs.Count} migration(s)[/]" : $"[green]rolled back {result.Runs.Count} migration(s)[/]");
    }

    /// <summary>A dry run: SQL migrations' statements and operation migrations' steps, in the order they would run, in one table.</summary>
    private static void RenderPlan(Output output, MigrationResult result, string verb)
    {
        var console = output.Console;
        var count = result.Runs.Count + result.Operations.Count;
        if (count == 0)
        {
            console.MarkupLine(verb == "apply" ? "[green]nothing to apply[/]: up to date" : verb == "complete" ? "nothing to complete" : "nothing to roll back");
            return;
        }
        var table = new Table().Border(TableBorder.Simple).AddColumn("#", c => c.RightAligned()).AddColumn("line", c => c.RightAligned())
            .AddColumn("statement / step").AddColumn("transaction").AddColumn("lock");
        var files = result.Runs.Select(r => (Version: r.Migration.Version == 0 ? long.MaxValue : r.Migration.Version, Name: r.Migration.FileName, Run: (MigrationRun?)r, Operation: (OperationRun?)null))
            .Concat(result.Operations.Select(o => (Version: o.Migration.Version, Name: o.Migration.FileName, Run: (MigrationRun?)null, Operation: (OperationRun?)o)))
            .OrderBy(f => f.Version).ThenBy(f => f.Name, StringComparer.Ordinal);
        foreach (var (_, name, run, operation) in files)
        {
            if (run is not null)
            {
                var transactional = run.Section.RunsInTransaction;
                var mode = transactional ? "one transaction" : $"statement by statement, each committed on its own ({run.Section.WhyNoTransaction})";
                table.AddRow("", "", $"[bold]{Output.Escape(name)}[/] {run.Section.Direction.ToString().ToLowerInvariant()}: {Output.Escape(mode)}", "", "");
                for (var i = 0; i < run.Section.Statements.Count; i++)
                {
                    var s = run.Section.Statements[i];
                    var text = string.Join(' ', s.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
                    text = text.Length > 70 ? text[..69] + "…" : text;
                    var outside = s.Tree?.RunsOutsideTransaction == true;
                    table.AddRow((i + 1).ToString(), s.Span.StartLine.ToString(), (i < run.ResumeAt ? "[dim](done) [/]" : "") + Output.Escape(text),
                        transactional ? "migration" : outside ? "none" : "own", Output.Escape(string.Join("; ", StatementLockText.For(s, why: output.Verbose, result.ForeignKeys))));
                }
                foreach (var assertion in run.Section.Assertions)
                {
                    table.AddRow("", assertion.Query.Span.StartLine.ToString(), $"[dim]assert {Output.Escape(assertion.Name)}[/]", "", "");
                }
                continue;
            }
            var phase = operation!.Phase.ToString().ToLowerInvariant();
            table.AddRow("", "", $"[bold]{Output.Escape(name)}[/] {phase} phase: {operation.Steps.Count} step(s)", "", "");
            var positions = operation.Migration.Operations?.Operations.Select(o => o.Position.Line).ToList() ?? [];
            for (var i = 0; i < operation.Steps.Count; i++)
            {
                var s = operation.Steps[i];
                table.AddRow((i + 1).ToString(), s.Operation < positions.Count ? positions[s.Operation].ToString() : "", (i < operation.ResumeAt ? "[dim](done) [/]" : "") + Output.Escape(s.Description),
                    s.Kind switch { Planning.StepKind.Sql => s.InTransaction ? "own" : "none", Planning.StepKind.Backfill => "one per batch", _ => "read" },
                    Output.Escape(s.Lock == Planning.LockLevel.None ? "" : $"{s.Lock.ToSql()} on {s.LockTarget}"));
            }
        }
        console.Write(table);
        console.MarkupLine($"[yellow]dry run[/]: {count} migration(s) would {verb}; nothing was changed");
    }

    /// <summary>Each operation phase: its steps with their locks (a dry run), or what ran and what comes next.</summary>
    private static void RenderOperations(Output output, MigrationResult result)
    {
        var console = output.Console;
        foreach (var run in result.Operations)
        {
            var phase = run.Phase.ToString().ToLowerInvariant();
            var next = run.Phase switch
            {
                Planning.PlanPhase.Start => "old and new code both work now. Run [bold]stepwise complete[/] once every instance runs the new code (or stepwise rollback to undo)",
                Planning.PlanPhase.Complete => "done",
                _ => "the schema is as before start",
            };
            console.MarkupLine($"[green]{phase}[/] {Output.Escape(run.Migration.FileName)}: {run.Steps.Count} step(s) in {(long)run.Duration.TotalMilliseconds} ms; {next}");
        }
    }
}
