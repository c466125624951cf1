using System.Text.Json.Nodes;
using Spectre.Console;
using Stepwise.Execution;
using Stepwise.Planning;
using Stepwise.Verification;

namespace Stepwise.Cli.Rendering;

/// <summary>
/// Shows what apply, rollback, complete or verify did, or would do: one list of runs (SQL sections and operation phases), each
/// with its steps, rendered once for text and once for JSON.
/// </summary>
internal static class RunRendering
{
    /// <summary>The version of the JSON shape (docs/cli.md): 2 since SQL and operation migrations are one list of runs.</summary>
    public const int OutputVersion = 2;

    /// <summary>The locks a step was measured taking (verify), or null.</summary>
    public delegate LockMeasurement? Measured(MigrationRun run, Step step);

    /// <summary>One step as shown: a SQL statement, an assertion, or an operation's step (a transaction step shows its statements).</summary>
    private sealed record StepRow(int Index, int? Line, string Kind, string Text, string Transaction, IReadOnlyList<string> Locks, string? Sql, bool Skipped, LockMeasurement? Measured);

    public static void Render(Output output, MigrationResult result, string verb)
    {
        if (output.Format == OutputFormat.Json)
        {
            output.WriteJson(new JsonObject
            {
                ["outputVersion"] = OutputVersion,
                ["dryRun"] = result.DryRun,
                ["runs"] = Json(result.Runs, result.DryRun, result.ForeignKeys),
                ["waitingFor"] = result.WaitingFor?.FileName,
                ["waiting"] = result.Waiting.Count == 0 ? null : new JsonArray([.. result.Waiting.Select(m => (JsonNode)m.FileName)]),
                ["blockers"] = result.DryRun && verb == "complete" ? InstanceJson.Array(result.Blockers) : null,
            });
            return;
        }
        var console = output.Console;
        if (result.WaitingFor is { } started)
        {
            console.MarkupLine($"[yellow]{result.Waiting.Count} pending migration(s) not applied[/] ({Output.Escape(string.Join(", ", result.Waiting.Take(3).Select(m => m.FileName)))}{(result.Waiting.Count > 3 ? ", ..." : "")}): "
                + $"they wait for {Output.Escape(started.FileName)}, which is started.");
            console.MarkupLine("One operation migration is started at a time: run [bold]stepwise complete[/] once every instance runs its code (or stepwise rollback), then stepwise apply again.");
        }
        if (result.Runs.Count == 0)
        {
            if (result.WaitingFor is not null)
            {
                return;
            }
            console.MarkupLine(verb == "apply" ? "[green]nothing to apply[/]: up to date" : verb == "complete" ? "nothing to complete" : "nothing to roll back");
            return;
        }
        if (result.DryRun)
        {
            console.Write(StepTable(output, result.Runs, result.ForeignKeys, null));
            console.MarkupLine($"[yellow]dry run[/]: {result.Runs.Count} migration(s) would {verb}; nothing was changed");
            if (verb == "complete")
            {
                WriteBlockers(output, result.Blockers);
            }
            return;
        }
        var done = new Table().Border(TableBorder.Rounded).AddColumn("file").AddColumn("phase").AddColumn("transaction")
            .AddColumn("steps", c => c.RightAligned()).AddColumn("ms", c => c.RightAligned());
        // A first deploy can apply hundreds: show the slowest few, not a screenful of identical rows (--format json has them all).
        const int shown = 25;
        IReadOnlyList<MigrationRun> runs = result.Runs.Count <= shown
            ? result.Runs
            : [.. result.Runs.Select((r, i) => (Run: r, Index: i)).OrderByDescending(x => x.Run.Duration).Take(shown).OrderBy(x => x.Index).Select(x => x.Run)];
        foreach (var run in runs)
        {
            done.AddRow(Output.Escape(run.Migration.FileName), run.PhaseName, Transaction(run).Replace('-', ' '), StepCount(run).ToString(), ((long)run.Duration.TotalMilliseconds).ToString());
        }
        console.Write(done);
        if (runs.Count < result.Runs.Count)
        {
            console.MarkupLine($"[dim]the {shown} slowest of {result.Runs.Count} shown; --format json lists every one[/]");
        }
        foreach (var run in result.Runs.Where(r => r.Section is null))
        {
            var next = run.Phase switch
            {
                PlanPhase.Start => "old and new code both work now. Run [bold]stepwise complete[/] once every instance runs the new code (or stepwise rollback to undo)",
                PlanPhase.Complete => "done",
                _ => "the schema is as before start",
            };
            console.MarkupLine($"[green]{run.PhaseName}[/] {Output.Escape(run.Migration.FileName)}: {run.Steps.Count} step(s) in {(long)run.Duration.TotalMilliseconds} ms; {next}");
        }
        var sql = result.Runs.Count(r => r.Section is not null);
        if (sql > 0)
        {
            console.MarkupLine(verb == "apply" ? $"[green]applied {sql} migration(s)[/]" : $"[green]rolled back {sql} migration(s)[/]");
        }
    }

    /// <summary>What the complete gate would say: the instances of an older version that would block the complete, or that none would.</summary>
    private static void WriteBlockers(Output output, IReadOnlyList<Instances.Instance> blockers)
    {
        if (blockers.Count == 0)
        {
            output.Console.MarkupLine("no application instance of an older schema version is alive: complete would go ahead");
            return;
        }
        output.Console.MarkupLine($"[yellow]complete would be refused[/]: {blockers.Count} instance(s) of an older schema version are alive (stop them, or complete with --wait 10min or --force):");
        foreach (var instance in blockers)
        {
            output.Console.MarkupLine($"  {Output.Escape(instance.ToString())}");
        }
    }

    /// <summary>The runs as JSON (docs/cli.md): <paramref name="measured"/> adds what verify measured to the steps it measured.</summary>
    public static JsonArray Json(IEnumerable<MigrationRun> runs, bool dryRun, ForeignKeys? foreignKeys, Measured? measured = null) => new([.. runs.Select(r => new JsonObject
    {
        ["version"] = r.Migration.Version == 0 ? null : r.Migration.Version,
        ["file"] = r.Migration.FileName,
        ["kind"] = r.Section is null ? "operations" : "sql",
        ["phase"] = r.PhaseName,
        ["transaction"] = Transaction(r),
        ["why"] = r.Section?.WhyNoTransaction,
        ["resumeAt"] = r.ResumeAt == 0 ? null : r.ResumeAt + 1,
        ["durationMs"] = dryRun ? null : (long)r.Duration.TotalMilliseconds,
        ["steps"] = new JsonArray([.. Rows(r, why: true, foreignKeys, measured).Select(s => new JsonObject
        {
            ["index"] = s.Index, ["line"] = s.Line, ["kind"] = s.Kind, ["description"] = s.Text, ["transaction"] = s.Transaction,
            ["locks"] = new JsonArray([.. s.Locks.Select(l => (JsonNode)l)]), ["sql"] = s.Sql, ["skipped"] = s.Skipped,
            ["measured"] = s.Measured is { } m ? new JsonObject(m.Measured.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value.ToSql()))) : null,
            ["alreadyHeld"] = s.Measured is { } h ? new JsonObject(h.AlreadyHeld.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value.ToSql()))) : null,
            ["rewritten"] = s.Measured is { } w ? new JsonArray([.. w.Rewritten.Select(t => (JsonNode)t)]) : null,
            ["disagrees"] = s.Measured?.Disagrees,
        })]),
    })]);

    /// <summary>
    /// Every run's steps, in the order they run (would run), in one table: with <paramref name="measured"/> (verify) the lock
    /// column shows the locks measured, and a run none of whose steps was measured is one line.
    /// </summary>
    public static Table StepTable(Output output, IReadOnlyList<MigrationRun> runs, ForeignKeys? foreignKeys, Measured? measured)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumn("#", c => c.RightAligned()).AddColumn("line", c => c.RightAligned())
            .AddColumn("statement / step").AddColumn("transaction").AddColumn(measured is null ? "lock" : "lock measured");
        foreach (var run in runs)
        {
            var mode = run.Section is null ? $"{run.PhaseName} phase: {run.Steps.Count} step(s)"
                : $"{run.PhaseName}: {(run.Section.RunsInTransaction ? "one transaction" : $"statement by statement, each committed on its own ({run.Section.WhyNoTransaction})")}";
            var rows = Rows(run, output.Verbose, foreignKeys, measured).ToList();
            if (measured is not null && rows.All(r => r.Measured is null))
            {
                table.AddRow("", "", $"[bold]{Output.Escape(run.Migration.FileName)}[/] {Output.Escape(mode)}, {StepCount(run)} step(s) in {(long)run.Duration.TotalMilliseconds} ms", "", "");
                continue;
            }
            table.AddRow("", "", $"[bold]{Output.Escape(run.Migration.FileName)}[/] {Output.Escape(mode)}", "", "");
            foreach (var row in rows)
            {
                var text = row.Kind == "assert" ? row.Text
                    : run.Section is not null && row.Sql is { } sql ? string.Join(' ', sql.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)) : row.Text;
                text = text.Length > 70 ? text[..69] + "…" : text;
                table.AddRow(row.Index.ToString(), row.Line?.ToString() ?? "", (row.Skipped ? "[dim](done) [/]" : "") + Output.Escape(text), row.Transaction,
                    Output.Escape(measured is null ? string.Join("; ", row.Locks) : MeasuredText(row.Measured)));
            }
        }
        return table;
    }

    /// <summary><c>SHARE on public.t; rewrites public.t  (the linter says ...)</c>: what verify measured for one statement.</summary>
    private static string MeasuredText(LockMeasurement? l)
    {
        if (l is null)
        {
            return "";
        }
        static string Locks(IReadOnlyDictionary<string, LockLevel> locks) => string.Join(", ", locks.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Value.ToSql()} on {kv.Key}"));
        var measured = Locks(l.Measured);
        // An earlier statement of the transaction took it: nothing new here, which is not the same as needing no lock.
        var held = l.AlreadyHeld.Count == 0 ? "" : $"{(measured.Length == 0 ? "" : "; ")}already held: {Locks(l.AlreadyHeld)}";
        var rewrite = l.Rewritten.Count > 0 ? $"; rewrites {string.Join(", ", l.Rewritten)}" : "";
        var note = l.Disagrees ? $"  <- the linter says {string.Join(", ", l.Static.Select(kv => $"{kv.Value.ToSql()} on {kv.Key}"))}" : "";
        return $"{(measured.Length == 0 && held.Length == 0 ? "no table locks" : measured)}{held}{rewrite}{note}";
    }

    /// <summary><c>single</c> (a SQL section in one transaction), <c>per-statement</c>, or <c>per-step</c> (an operation phase).</summary>
    private static string Transaction(MigrationRun run) => run.Section is null ? "per-step" : run.Section.RunsInTransaction ? "single" : "per-statement";

    /// <summary>The steps a run counts: its statements and operation steps, not its assertions.</summary>
    private static int StepCount(MigrationRun run) => Rows(run, why: false, null, null).Count(s => s.Kind != "assert");

    /// <summary>The run's steps as shown, numbered from 1; a transaction step shows the statements and assertions it holds.</summary>
    private static IEnumerable<StepRow> Rows(MigrationRun run, bool why, ForeignKeys? foreignKeys, Measured? measured)
    {
        var positions = run.Migration.Operations?.Operations.Select(o => o.Position.Line).ToList() ?? [];
        var index = 0;
        for (var i = 0; i < run.Steps.Count; i++)
        {
            var step = run.Steps[i];
            foreach (var s in step.Kind == StepKind.Transaction ? step.Group! : [step])
            {
                var transaction = step.Kind == StepKind.Transaction ? "migration"
                    : s.Kind switch { StepKind.Sql => s.InTransaction ? "own" : "none", StepKind.Backfill => "one per batch", _ => "read" };
                IReadOnlyList<string> locks = s.Statement is { } statement && s.Kind == StepKind.Sql ? StatementLockText.For(statement, why, foreignKeys)
                    : s.Lock == LockLevel.None ? [] : [$"{s.Lock.ToSql()} on {s.LockTarget}"];
                var line = s.Statement?.Span.StartLine ?? (run.Section is null && s.Operation < positions.Count ? positions[s.Operation] : null);
                var kind = s.Kind == StepKind.Sql && s.Statement is { } tagged ? tagged.CommandTag : s.Kind.ToString().ToLowerInvariant();
                yield return new StepRow(++index, line, kind, s.Description, transaction, locks, s.Sql, i < run.ResumeAt, measured?.Invoke(run, s));
            }
        }
    }
}
