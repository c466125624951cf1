using System.CommandLine;
using System.Diagnostics;
using Npgsql;
using Spectre.Console;
using Stepwise.Cli.Rendering;
using Stepwise.Embedded;
using Stepwise.Execution;
using Stepwise.Migrations;

namespace Stepwise.Cli.Commands;

/// <summary>
/// <c>stepwise demo</c>: starts a throwaway PostgreSQL, writes the reference scenario as a migration
/// directory, plans it (statements, transactions, locks), applies it with the real engine while a
/// session holds a lock on the busy table for a moment (so the lock-timeout retry shows), and shows
/// status and the resulting tables. Cleans up everything. Needs no database of yours.
/// </summary>
internal sealed class DemoCommand : ICliCommand
{
    internal static readonly (string File, string Sql)[] Migrations =
    [
        ("1_create_tables.sql", """
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
            INSERT INTO organizations (name) SELECT 'org ' || g FROM generate_series(1, 20) AS g;
            INSERT INTO workflows (organization_id) SELECT o.id FROM organizations AS o, generate_series(1, 5);
            INSERT INTO workflow_runs (workflow_id, state) SELECT w.id, 'done' FROM workflows AS w, generate_series(1, 1000);
            -- stepwise:down
            DROP TABLE workflow_runs, workflows, organizations;
            """),
        ("2_add_organization_to_runs.sql", """
            -- Expand: a nullable column and a NOT VALID foreign key hold their locks for milliseconds;
            -- VALIDATE takes SHARE UPDATE EXCLUSIVE, so reads and writes go on while rows are checked.
            -- stepwise:lock-timeout 500ms
            -- stepwise:up
            ALTER TABLE workflow_runs ADD COLUMN organization_id uuid;
            ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_organization_id_fkey
                FOREIGN KEY (organization_id) REFERENCES organizations (id) NOT VALID;
            UPDATE workflow_runs AS r SET organization_id = w.organization_id FROM workflows AS w WHERE w.id = r.workflow_id;
            ALTER TABLE workflow_runs VALIDATE CONSTRAINT workflow_runs_organization_id_fkey;
            -- stepwise:assert every_run_has_its_workflows_organization
            SELECT r.id FROM workflow_runs AS r JOIN workflows AS w ON w.id = r.workflow_id
            WHERE r.organization_id IS DISTINCT FROM w.organization_id;
            -- stepwise:down
            ALTER TABLE workflow_runs DROP COLUMN organization_id;
            """),
        ("3_index_runs_by_organization.sql", """
            -- CONCURRENTLY cannot run in a transaction: Stepwise runs this file statement by statement.
            -- stepwise:up
            CREATE INDEX CONCURRENTLY workflow_runs_org_created_idx ON workflow_runs (organization_id, created_at DESC);
            -- stepwise:down
            DROP INDEX CONCURRENTLY workflow_runs_org_created_idx;
            """),
    ];

    public Command Build() => new("demo", "Start a throwaway PostgreSQL, plan and apply a zero-downtime schema change with the real engine, show what happened, and clean up");

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var output = context.Output;
        var directory = Directory.CreateTempSubdirectory("stepwise-demo-").FullName;
        try
        {
            foreach (var (file, sql) in Migrations)
            {
                await File.WriteAllTextAsync(Path.Combine(directory, file), sql, cancellationToken);
            }
            await File.WriteAllTextAsync(Path.Combine(directory, SumFile.FileName), MigrationDirectory.Load(directory).ComputedSum.Render(), cancellationToken);

            output.Info("starting a throwaway PostgreSQL…");
            var started = Stopwatch.StartNew();
            await using var server = await TempPostgres.StartAsync(new TempPostgresOptions(), cancellationToken);
            var startup = started.Elapsed;
            output.Info($"PostgreSQL ready on 127.0.0.1:{server.Port} in {startup.TotalMilliseconds:F0} ms");

            var migrator = new Migrator(new MigratorOptions
            {
                Database = server.ConnectionString,
                Directory = directory,
                Logger = new OutputLogger(output),
                RetryBaseDelay = TimeSpan.FromMilliseconds(200),
            });
            var plan = await migrator.ApplyAsync(new ApplyRequest { DryRun = true }, cancellationToken);
            if (output.Format == OutputFormat.Text)
            {
                RunRendering.Render(output, plan, "apply");
            }

            // A reporting transaction reads workflow_runs and stays open for a moment: the ALTER TABLE in
            // migration 2 must wait for it, gives up after lock_timeout instead of stalling every other
            // session behind it, and is retried until the report ends.
            var first = await migrator.ApplyAsync(new ApplyRequest { ToVersion = 1 }, cancellationToken);
            var rest = await WithBlockerAsync(server.ConnectionString, TimeSpan.FromSeconds(1.5),
                () => migrator.ApplyAsync(new ApplyRequest(), cancellationToken), cancellationToken);
            var applied = first.Runs.Concat(rest.Runs).ToDictionary(r => r.Migration.FileName);
            var status = await migrator.StatusAsync(cancellationToken);
            var tables = await Summarize(server.ConnectionString, cancellationToken);

            var stopping = Stopwatch.StartNew();
            await server.DisposeAsync();
            var summary = new DemoSummary(Math.Round(startup.TotalMilliseconds),
                [.. plan.Runs.Select(r => new MigrationSummary(r.Migration.FileName, r.Section.RunsInTransaction ? "single" : "per-statement", r.Section.Statements.Count,
                    Math.Round(applied.TryGetValue(r.Migration.FileName, out var run) ? run.Duration.TotalMilliseconds : 0, 1)))],
                [.. status.Entries.Select(e => new StatusSummary(e.File, StatusCommand.StateName(e.State)))],
                tables, Math.Round(stopping.Elapsed.TotalMilliseconds));

            if (output.Format == OutputFormat.Json)
            {
                output.WriteJson(summary);
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

    private static async Task<T> WithBlockerAsync<T>(string connectionString, TimeSpan hold, Func<Task<T>> action, CancellationToken cancellationToken)
    {
        await using var blocker = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "nightly-report" }.ConnectionString);
        await blocker.OpenAsync(cancellationToken);
        var tx = await blocker.BeginTransactionAsync(cancellationToken);
        await using (var read = new NpgsqlCommand("SELECT count(*) FROM workflow_runs", blocker, tx))
        {
            await read.ExecuteScalarAsync(cancellationToken);
        }
        var release = Task.Delay(hold, cancellationToken).ContinueWith(_ => tx.RollbackAsync(), TaskScheduler.Default).Unwrap();
        var result = await action();
        await release;
        await tx.DisposeAsync();
        return result;
    }

    private static async Task<IReadOnlyList<TableSummary>> Summarize(string connectionString, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT c.relname,
                   (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text::bigint,
                   (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid AND i.indisvalid),
                   (SELECT count(*) FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'f' AND k.convalidated)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind = 'r'
            ORDER BY c.relname
            """;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var tables = new List<TableSummary>();
        while (await reader.ReadAsync(cancellationToken))
        {
            tables.Add(new TableSummary(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
        }
        return tables;
    }

    private static void Render(Output output, DemoSummary summary)
    {
        var console = output.Console;
        console.Write(new Rule("[bold]stepwise demo[/]: applied on a throwaway PostgreSQL").LeftJustified());
        var runs = new Table().Border(TableBorder.Rounded).AddColumn("migration").AddColumn("transaction").AddColumn("statements", c => c.RightAligned()).AddColumn("ms", c => c.RightAligned()).AddColumn("status");
        foreach (var m in summary.Migrations)
        {
            var state = summary.Status.FirstOrDefault(s => s.File == m.File)?.State ?? "";
            runs.AddRow(Markup.Escape(m.File), m.Transaction, m.Statements.ToString(), m.Milliseconds.ToString("F1"), state == "applied" ? "[green]applied[/]" : Markup.Escape(state));
        }
        console.Write(runs);
        var tables = new Table().Border(TableBorder.Rounded)
            .AddColumn("table").AddColumn("rows", c => c.RightAligned()).AddColumn("valid indexes", c => c.RightAligned()).AddColumn("validated foreign keys", c => c.RightAligned());
        foreach (var t in summary.Tables)
        {
            tables.AddRow(Markup.Escape(t.Name), t.Rows.ToString(), t.ValidIndexes.ToString(), t.ValidatedForeignKeys.ToString());
        }
        console.Write(tables);
        console.MarkupLine($"PostgreSQL started in [bold]{summary.StartupMilliseconds} ms[/], stopped and removed in [bold]{summary.ShutdownMilliseconds} ms[/].");
    }

    private sealed record MigrationSummary(string File, string Transaction, int Statements, double Milliseconds);

    private sealed record StatusSummary(string File, string State);

    private sealed record TableSummary(string Name, long Rows, long ValidIndexes, long ValidatedForeignKeys);

    private sealed record DemoSummary(double StartupMilliseconds, IReadOnlyList<MigrationSummary> Migrations, IReadOnlyList<StatusSummary> Status,
        IReadOnlyList<TableSummary> Tables, double ShutdownMilliseconds);
}
