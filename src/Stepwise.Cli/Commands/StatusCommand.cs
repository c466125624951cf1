using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using Stepwise.Cli.Rendering;
using Stepwise.Execution;
using Stepwise.Execution.Backfill;
using Stepwise.Sql;

namespace Stepwise.Cli.Commands;

/// <summary><c>stepwise status</c>: every migration, applied or not, and what needs attention; exit 1 when anything does.</summary>
internal sealed class StatusCommand : ICliCommand
{
    public Command Build() => new("status", "Show each migration's state (applied, pending, modified, missing file, failed, partial, out of order); exit 1 when anything needs attention");

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        // One connection for all of it: a process pays for every connection it opens.
        var (report, backfills, versionSchemas, instances) = await context.CreateMigrator().OverviewAsync(cancellationToken);
        var backfilled = report.Entries.Where(e => e.IsOperationInProgress)
            .ToDictionary(e => e.Version, e => backfills.Backfills.Where(b => b.Version == e.Version).Sum(b => b.RowsDone));
        // The backfills of migrations in progress that have not finished: running, waiting, or stopped mid-way.
        var unfinished = backfills.Backfills.Where(b => backfilled.ContainsKey(b.Version) && b.State != "done").ToList();
        var output = context.Output;
        if (output.Format == OutputFormat.Json)
        {
            output.WriteJson(new JsonObject
            {
                ["currentVersion"] = report.CurrentVersion,
                ["needsAttention"] = report.NeedsAttention,
                ["migrations"] = new JsonArray([.. report.Entries.Select(e => new JsonObject
                {
                    ["version"] = e.Version == 0 ? null : e.Version,
                    ["file"] = e.File,
                    ["state"] = StateName(e.State),
                    ["appliedAt"] = e.History?.AppliedAt,
                    ["appliedBy"] = e.History?.AppliedBy,
                    ["applicationName"] = e.History?.ApplicationName,
                    ["durationMs"] = e.History?.DurationMs,
                    ["statementsCompleted"] = e.History?.StatementsCompleted,
                    ["statementsTotal"] = e.History?.StatementsTotal,
                    ["checksum"] = e.Migration?.Checksum,
                    ["appliedChecksum"] = e.History?.Checksum,
                    ["error"] = e.History?.Error,
                    ["phase"] = e.IsOperationInProgress ? e.History?.Status.Text() : null,
                    ["rowsBackfilled"] = backfilled.TryGetValue(e.Version, out var rows) ? rows : null,
                })]),
                ["backfills"] = new JsonArray([.. unfinished.Select(b => new JsonObject
                {
                    ["version"] = b.Version,
                    ["step"] = b.Step,
                    ["table"] = b.Table,
                    ["state"] = b.State,
                    ["rowsDone"] = b.RowsDone,
                    ["batches"] = b.Batches,
                    ["walk"] = b.Walk,
                    ["visited"] = b.Visited,
                    ["total"] = b.Total,
                    ["rowsPerSecond"] = b.RowsPerSecond,
                    ["etaSeconds"] = b.Remaining?.TotalSeconds,
                    ["updatedAt"] = b.UpdatedAt,
                })]),
                ["backfillControl"] = backfills.Control is { } control ? BackfillCommand.Json(control) : null,
                ["versionSchemas"] = new JsonArray([.. versionSchemas.Select(v => new JsonObject { ["name"] = v.Name, ["migration"] = v.Migration })]),
                ["instances"] = InstanceJson.Array(instances),
                ["lockWait"] = report.LockWait is { } wait ? new JsonObject
                {
                    ["statement"] = wait.Where,
                    ["tables"] = new JsonArray([.. wait.Tables.Select(t => (JsonNode)t)]),
                    ["since"] = wait.Since,
                    ["holders"] = new JsonArray([.. wait.Holders.Select(h => (JsonNode)h)]),
                    ["oldestMs"] = wait.OldestTransaction is { } oldest ? (long)oldest.TotalMilliseconds : null,
                    ["line"] = wait.Line,
                    ["reportedAt"] = wait.At,
                } : null,
            });
        }
        else
        {
            // A first deploy's history has hundreds of rows: a table padded here, not laid out cell by cell by Spectre.
            var table = new TextTable().AddColumn("version", rightAligned: true).AddColumn("file").AddColumn("state").AddColumn("applied").AddColumn("detail");
            foreach (var e in report.Entries)
            {
                var color = e.State == MigrationState.Applied ? Color.Green : e.State is MigrationState.Pending or MigrationState.Started ? Color.Yellow : Color.Red;
                var applied = e.History is { } h ? $"{h.AppliedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss} by {h.AppliedBy}" : "";
                var detail = Detail(e) + (backfilled.TryGetValue(e.Version, out var rows) && rows > 0 ? $"; {rows:N0} rows backfilled" : "");
                table.AddRow(e.Version == 0 ? "R" : e.Version.ToString(CultureInfo.InvariantCulture), Printable.Escape(e.File), new TextCell(StateName(e.State), color),
                    Printable.Escape(applied), Printable.Escape(detail));
            }
            table.Write(output.Console);
            foreach (var b in unfinished)
            {
                output.Console.MarkupLine(Output.Escape(BackfillLine(b)));
            }
            if (unfinished.Count > 0 && backfills.Control is { } control && (control.Paused || control.BatchTarget is not null || control.Pause is not null || control.MaxRowsPerSecond is not null))
            {
                output.Console.MarkupLine("[yellow]" + Output.Escape(BackfillCommand.Describe(control)) + "[/]");
            }
            if (versionSchemas.Count > 0)
            {
                output.Console.MarkupLine("version schemas (Search Path=<schema>,public): " + Output.Escape(string.Join(", ", versionSchemas.Select(v => $"{v.Name} ({v.Migration})"))));
            }
            WriteInstances(output, instances);
            if (report.LockWait is { } wait)
            {
                output.Console.MarkupLine($"[yellow]waiting since {wait.Since.ToLocalTime():HH:mm:ss}[/] ({(long)(DateTimeOffset.UtcNow - wait.Since).TotalSeconds} s): {Output.Escape(wait.Line)}");
                foreach (var holder in wait.Holders)
                {
                    output.Console.MarkupLine($"  {Output.Escape(holder)}");
                }
            }
            output.Console.MarkupLine(report.NeedsAttention
                ? $"[yellow]{report.Entries.Count(x => x.NeedsAttention)} migration(s) need attention[/]"
                : $"[green]up to date[/] at version {report.CurrentVersion}");
        }
        return report.NeedsAttention ? ExitCodes.ChecksFailed : ExitCodes.Success;
    }

    /// <summary>One backfill's progress as its last batch recorded it.</summary>
    internal static string BackfillLine(BackfillState b)
    {
        var done = b.Visited is { } visited && b.Total is > 0 and { } total ? $" ({Math.Min(100, 100.0 * visited / total):0}% of the {(b.Walk == "heap" ? "heap" : "rows")})" : "";
        var rate = b.RowsPerSecond is { } perSecond ? $", {perSecond:N0} rows/s" : "";
        // While a throttle or an operator holds it, the time left is the batches' own, from when they go on again; a
        // backfill that failed or stopped has none.
        var waiting = b.State?.StartsWith("waiting", StringComparison.Ordinal) == true;
        var going = b.State is null or "running" || waiting;
        var eta = b.Remaining is { } left && going ? $", about {left.TotalSeconds:N0} s left{(waiting ? " once it goes on" : "")}" : "";
        var ago = DateTimeOffset.UtcNow - b.UpdatedAt;
        return $"backfill {b.Table ?? "?"} (version {b.Version}, step {b.Step}): {b.RowsDone:N0} rows{done}{rate}{eta}; {b.State ?? "running"}, last recorded {ago.TotalSeconds:N0} s ago";
    }

    /// <summary>Live application instances, one row per schema version: how many, and which.</summary>
    private static void WriteInstances(Output output, IReadOnlyList<Instances.Instance> instances)
    {
        if (instances.Count == 0)
        {
            return; // applications that do not register (or none running): nothing to show
        }
        var table = new Table().Border(TableBorder.Rounded).AddColumn("schema version").AddColumn("through").AddColumn("instances", c => c.RightAligned()).AddColumn("which");
        foreach (var version in instances.GroupBy(i => (i.Version, i.Migration)))
        {
            table.AddRow(Output.Escape(version.Key.Migration), Output.Escape(version.First().VersionSchema ?? (version.First().Source == Instances.InstanceSource.Session ? "(session)" : "tables' schema")),
                version.Count().ToString(System.Globalization.CultureInfo.InvariantCulture),
                Output.Escape(string.Join(", ", version.Select(i => i.Source == Instances.InstanceSource.Registered ? $"{i.ApplicationName}@{i.Host}:{i.ProcessId}" : $"{i.ApplicationName} (pid {i.ProcessId})"))));
        }
        output.Console.Write(table);
    }

    internal static string StateName(MigrationState state) => state switch
    {
        MigrationState.OutOfOrder => "out of order",
        MigrationState.MissingFile => "missing file",
        MigrationState.InProgress => "in progress",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static string Detail(MigrationStatusEntry e) => e.State switch
    {
        MigrationState.Modified => "changed since applied: undo the edit, or stepwise repair --yes",
        MigrationState.MissingFile => "in history, but no file",
        MigrationState.Failed => e.History?.Error ?? "",
        MigrationState.Partial => $"{e.History!.StatementsCompleted} of {e.History.StatementsTotal} statements ran; apply resumes",
        MigrationState.Reverting => $"rollback interrupted after {e.History!.StatementsCompleted} statement(s)",
        MigrationState.OutOfOrder => "older than an applied migration: apply --allow-out-of-order",
        MigrationState.Pending when e.History is not null => "changed: will be applied again",
        MigrationState.Started => "start phase done, old and new code both work: stepwise complete once every instance runs the new code (or stepwise rollback)",
        MigrationState.InProgress => $"{e.History!.Status.Text()}: step {e.History.StatementsCompleted} of {e.History.StatementsTotal} done; stepwise "
            + e.History.Status.ResumeCommand() + " resumes it",
        _ => "",
    };
}
