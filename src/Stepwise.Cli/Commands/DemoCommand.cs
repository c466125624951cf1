using System.CommandLine;
using System.Diagnostics;
using Npgsql;
using Spectre.Console;
using Stepwise.Cli.Rendering;
using Stepwise.Connections;
using Stepwise.Embedded;
using Stepwise.Execution;
using Stepwise.Migrations;
using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Cli.Commands;

/// <summary>
/// <c>stepwise demo</c>: the reference scenario end to end on a throwaway PostgreSQL. A workflow_runs table
/// with a million rows (configurable) and an old application version writing and reading it; the reference
/// operation migration (a NOT NULL organization_id filled from workflows, a foreign key, an index) through
/// start → complete with live progress; then the same change as the naive one-transaction migration on an
/// identical copy, and both side by side: rows backfilled, rows/s, the longest client wait, failed client
/// transactions, locks. Cleans up everything. Needs no database of yours.
/// </summary>
internal sealed class DemoCommand : ICliCommand
{
    internal const string Schema = """
        -- The reference scenario: workflow_runs is big and busy.
        -- stepwise:up
        CREATE TABLE organizations (
            id   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            name text NOT NULL
        );
        CREATE TABLE workflows (
            id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            organization_id uuid NOT NULL REFERENCES organizations (id),
            deleted_at      timestamptz
        );
        CREATE TABLE workflow_runs (
            id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            workflow_id bigint NOT NULL REFERENCES workflows (id),
            state       text NOT NULL,
            created_at  timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX workflow_runs_workflow_idx ON workflow_runs (workflow_id, id);
        INSERT INTO organizations (name) SELECT 'org ' || g FROM generate_series(1, 50) AS g;
        INSERT INTO workflows (organization_id) SELECT o.id FROM organizations AS o, generate_series(1, 20);
        -- stepwise:down
        DROP TABLE workflow_runs, workflows, organizations;
        """;

    internal const string Operations = """
        # Add organization_id to a big, busy table while the old version keeps inserting runs without it.
        operations:
          - add_column:
              table: workflow_runs
              column:
                name: organization_id
                type: uuid
                nullable: false
                references: { name: workflow_runs_organization_id_fkey, table: organizations, column: id }
              up: (SELECT w.organization_id FROM workflows w WHERE w.id = workflow_id)
          - create_index:
              name: workflow_runs_org_created_idx
              table: workflow_runs
              columns: { organization_id: {}, created_at: { sort: DESC } }
        """;

    /// <summary>The same change as one transaction, as it is often written first.</summary>
    internal const string Naive = """
        BEGIN;
        ALTER TABLE workflow_runs ADD COLUMN organization_id uuid;
        UPDATE workflow_runs AS r SET organization_id = w.organization_id FROM workflows AS w WHERE w.id = r.workflow_id;
        ALTER TABLE workflow_runs ALTER COLUMN organization_id SET NOT NULL;
        ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES organizations (id);
        CREATE INDEX workflow_runs_org_created_idx ON workflow_runs (organization_id, created_at DESC);
        COMMIT;
        """;

    private const int Workflows = 1000;

    private readonly Option<int> _runs = new("--runs") { Description = "Rows in workflow_runs (default 1,000,000)", DefaultValueFactory = _ => 1_000_000 };
    private readonly Option<bool> _noNaive = new("--no-naive") { Description = "Skip the naive one-transaction migration run for comparison" };

    public Command Build()
    {
        var command = new Command("demo", "The reference zero-downtime migration on a throwaway PostgreSQL under simulated traffic, beside the naive one-transaction migration; cleans up after itself");
        command.Options.Add(_runs);
        command.Options.Add(_noNaive);
        return command;
    }

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var runs = parse.GetValue(_runs);
        if (runs is < 1 or > 100_000_000)
        {
            throw new CliException(ExitCodes.BadInput, "--runs must be between 1 and 100000000");
        }
        var output = context.Output;
        var directory = Directory.CreateTempSubdirectory("stepwise-demo-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "1_create_tables.sql"), Schema, cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(directory, "2_add_organization_to_runs.yaml"), Operations, cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(directory, SumFile.FileName), MigrationDirectory.Load(directory).ComputedSum.Render(), cancellationToken);

            output.Info("starting a throwaway PostgreSQL…");
            var clock = Stopwatch.StartNew();
            await using var server = await TempPostgres.StartAsync(new TempPostgresOptions(), cancellationToken);
            var startup = clock.Elapsed;
            output.Info($"PostgreSQL ready on 127.0.0.1:{server.Port} in {startup.TotalMilliseconds:F0} ms");

            var logger = new OutputLogger(output);
            var options = new MigratorOptions { Database = server.ConnectionString, Directory = directory, Logger = logger };
            var migrator = new Migrator(options);
            await migrator.ApplyAsync(new ApplyRequest { ToVersion = 1 }, cancellationToken);
            output.Info($"inserting {runs:N0} workflow runs…");
            await ExecuteAsync(server.ConnectionString, $"INSERT INTO workflow_runs (workflow_id, state, created_at) SELECT 1 + g % {Workflows}, 'done', now() - g * interval '1 second' FROM generate_series(1, {runs}) g", cancellationToken);
            await ExecuteAsync(server.ConnectionString, "VACUUM ANALYZE workflow_runs", cancellationToken);
            var naiveDatabase = parse.GetValue(_noNaive) ? null : await CopyAsync(server, "naive", cancellationToken);

            // Stepwise: start under traffic, then complete once the old writer is gone.
            var plan = await migrator.ApplyAsync(new ApplyRequest { DryRun = true }, cancellationToken);
            if (output.Format == OutputFormat.Text)
            {
                RunRendering.Render(output, plan, "apply");
            }
            await using var traffic = DemoTraffic.Start(server.ConnectionString, Workflows);
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            var baseline = traffic.Take();
            var stepwiseClock = Stopwatch.StartNew();
            var backfilled = 0L;
            var rate = 0.0;
            var start = await BackfillBars.RunAsync(context, options.Backfill, () => migrator.ApplyAsync(new ApplyRequest(), cancellationToken),
                p => (backfilled, rate) = (p.RowsDone, p.RowsPerSecond));
            var startElapsed = stepwiseClock.Elapsed;
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            var duringStart = traffic.Take();
            await traffic.StopAsync(); // every instance runs the new code now
            var complete = await migrator.CompleteAsync(cancellationToken: cancellationToken);
            var stepwiseElapsed = stepwiseClock.Elapsed;
            var locks = start.Runs.Concat(complete.Runs).SelectMany(o => o.Steps).Where(s => s.Lock >= LockLevel.ShareRowExclusive).ToList();
            var stepwise = new DemoRun("stepwise", Math.Round(stepwiseElapsed.TotalSeconds, 2), backfilled, Math.Round(rate), baseline, duringStart,
                [.. locks.GroupBy(s => s.Lock).OrderByDescending(g => g.Key).Select(g => $"{g.Key.ToSql()} ×{g.Count()} (each metadata-only; lock_timeout from {(long)options.StepLockTimeout.TotalMilliseconds} ms, never above {(long)options.MaxLockWait.TotalMilliseconds} ms)")],
                Math.Round(startElapsed.TotalSeconds, 2));

            DemoRun? naive = null;
            if (naiveDatabase is not null)
            {
                output.Info("the same change as one naive transaction, on an identical copy…");
                await using var naiveTraffic = DemoTraffic.Start(naiveDatabase, Workflows);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                var naiveBaseline = naiveTraffic.Take();
                var naiveClock = Stopwatch.StartNew();
                await ExecuteAsync(naiveDatabase, Naive, cancellationToken);
                var naiveElapsed = naiveClock.Elapsed;
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken); // the old version goes on writing for a moment
                var during = naiveTraffic.Take();
                await naiveTraffic.StopAsync();
                naive = new DemoRun("naive", Math.Round(naiveElapsed.TotalSeconds, 2), runs, Math.Round(runs / naiveElapsed.TotalSeconds), naiveBaseline, during,
                    [$"ACCESS EXCLUSIVE on workflow_runs for the whole {naiveElapsed.TotalSeconds:F1} s"], Math.Round(naiveElapsed.TotalSeconds, 2));
            }

            var status = await migrator.StatusAsync(cancellationToken);
            var check = await ScalarAsync(server.ConnectionString, "SELECT count(*) FROM workflow_runs WHERE organization_id IS NULL", cancellationToken);
            var stopping = Stopwatch.StartNew();
            await server.DisposeAsync();
            var summary = new DemoSummary(Math.Round(startup.TotalMilliseconds), runs, stepwise, naive,
                [.. status.Entries.Select(e => new StatusSummary(e.File, StatusCommand.StateName(e.State)))], check, Math.Round(stopping.Elapsed.TotalMilliseconds));
            if (output.Format == OutputFormat.Json)
            {
                output.WriteJson(summary, Output.Types.DemoSummary);
            }
            else
            {
                Render(output, summary);
            }
            return ExitCodes.Success;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<string> CopyAsync(TempPostgres server, string name, CancellationToken cancellationToken)
    {
        NpgsqlConnection.ClearAllPools();
        DataSources.ClearAll();
        var source = new NpgsqlConnectionStringBuilder(server.ConnectionString).Database!;
        await using (var connection = DataSources.Connection(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            var strategy = connection.PostgreSqlVersion.Major >= 15 ? " STRATEGY FILE_COPY" : "";
            await using var copy = new NpgsqlCommand($"CREATE DATABASE {Quote.Ident(name)} TEMPLATE {Quote.Ident(source)}{strategy}", connection);
            await copy.ExecuteNonQueryAsync(cancellationToken);
        }
        return new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = name }.ConnectionString;
    }

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        await using var connection = DataSources.Connection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<long> ScalarAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        await using var connection = DataSources.Connection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Render(Output output, DemoSummary summary)
    {
        var console = output.Console;
        console.Write(new Rule($"[bold]stepwise demo[/]: NOT NULL organization_id on {summary.Runs:N0} busy workflow runs").LeftJustified());
        var table = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn("stepwise", c => c.RightAligned());
        if (summary.Naive is not null)
        {
            table.AddColumn("naive (one transaction)", c => c.RightAligned());
        }
        void Row(string name, Func<DemoRun, string> value) =>
            table.AddRow(summary.Naive is null ? [name, value(summary.Stepwise)] : [name, value(summary.Stepwise), value(summary.Naive)]);
        Row("migration time", r => $"{r.Seconds:F1} s");
        Row("rows backfilled", r => r.RowsBackfilled.ToString("N0"));
        Row("rows/s", r => r.RowsPerSecond.ToString("N0"));
        Row("client p99, before → during", r => $"{r.Baseline.P99Ms:F0} → {r.During.P99Ms:F0} ms");
        Row("longest client wait", r => $"{r.During.MaxMs:F0} ms");
        Row("longest time with no transaction done", r => $"{r.During.LongestGapMs:F0} ms");
        Row("failed client transactions", r => r.During.Failed == 0 ? "[green]0[/]" : $"[red]{r.During.Failed}[/]");
        Row("strongest locks", r => Output.Escape(string.Join("\n", r.Locks)));
        console.Write(table);
        foreach (var error in summary.Naive?.During.Errors ?? [])
        {
            console.MarkupLine($"[dim]naive: {Output.Escape(error)}[/]");
        }
        console.MarkupLine($"after complete: {summary.RowsWithoutOrganization} run(s) without organization_id; migrations: " +
            string.Join(", ", summary.Status.Select(s => $"{Output.Escape(s.File)} {s.State}")));
        console.MarkupLine($"PostgreSQL started in [bold]{summary.StartupMilliseconds} ms[/], stopped and removed in [bold]{summary.ShutdownMilliseconds} ms[/].");
    }

    internal sealed record StatusSummary(string File, string State);

    internal sealed record DemoRun(string Name, double Seconds, long RowsBackfilled, double RowsPerSecond, TrafficWindow Baseline, TrafficWindow During, IReadOnlyList<string> Locks,
        double StartSeconds);

    internal sealed record DemoSummary(double StartupMilliseconds, int Runs, DemoRun Stepwise, DemoRun? Naive, IReadOnlyList<StatusSummary> Status, long RowsWithoutOrganization,
        double ShutdownMilliseconds);
}
