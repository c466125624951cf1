using System.CommandLine;
using System.Diagnostics;
using Npgsql;
using Spectre.Console;
using Stepwise.Cli.Rendering;
using Stepwise.Embedded;
using Stepwise.Sql;

namespace Stepwise.Cli.Commands;

/// <summary>
/// <c>stepwise demo</c>: starts a throwaway PostgreSQL, runs the reference scenario's schema change
/// through it the safe way (split and parsed by PostgreSQL's parser, each statement under a lock
/// timeout), shows what happened, and cleans up. Needs no database of yours.
/// </summary>
internal sealed class DemoCommand : ICliCommand
{
    internal const string Script = """
        -- The reference scenario: add organization_id to a busy workflow_runs table without blocking writers.
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

        -- Expand: a nullable column and a NOT VALID foreign key take their locks for milliseconds only.
        ALTER TABLE workflow_runs ADD COLUMN organization_id uuid;
        ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_organization_id_fkey
            FOREIGN KEY (organization_id) REFERENCES organizations (id) NOT VALID;
        UPDATE workflow_runs AS r SET organization_id = w.organization_id FROM workflows AS w WHERE w.id = r.workflow_id;
        -- VALIDATE takes SHARE UPDATE EXCLUSIVE: reads and writes go on while rows are checked.
        ALTER TABLE workflow_runs VALIDATE CONSTRAINT workflow_runs_organization_id_fkey;
        -- CONCURRENTLY cannot run in a transaction: it runs on its own.
        CREATE INDEX CONCURRENTLY workflow_runs_org_created_idx ON workflow_runs (organization_id, created_at DESC);
        """;

    public Command Build() => new("demo", "Start a throwaway PostgreSQL, run a zero-downtime schema change through it, show what happened, and clean up");

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var output = context.Output;
        var script = SqlParser.Parse(Script, "demo.sql");
        if (!script.IsValid)
        {
            throw new InvalidOperationException("the built-in demo script does not parse: " + script.Errors[0]);
        }

        output.Info("starting a throwaway PostgreSQL…");
        var started = Stopwatch.StartNew();
        await using var server = await TempPostgres.StartAsync(new TempPostgresOptions(), cancellationToken);
        var startup = started.Elapsed;
        output.Info($"PostgreSQL ready on 127.0.0.1:{server.Port} in {startup.TotalMilliseconds:F0} ms");

        var results = new List<StatementResult>();
        await using (var connection = new NpgsqlConnection(server.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await Execute(connection, "SET lock_timeout = '5s'", cancellationToken);
            foreach (var statement in script.Statements)
            {
                var watch = Stopwatch.StartNew();
                await using var command = new NpgsqlCommand(statement.Text, connection);
                var rows = await command.ExecuteNonQueryAsync(cancellationToken);
                results.Add(new StatementResult(statement.Index + 1, $"{statement.Span.StartLine}-{statement.Span.EndLine}", statement.CommandTag,
                    statement.Tree?.Target?.ToString(), statement.Tree?.CannotRunInTransaction == true, rows < 0 ? null : rows, Math.Round(watch.Elapsed.TotalMilliseconds, 1)));
            }
        }

        var tables = await Summarize(server.ConnectionString, cancellationToken);
        var stopping = Stopwatch.StartNew();
        await server.DisposeAsync();
        var summary = new DemoSummary(Math.Round(startup.TotalMilliseconds), results, tables, Math.Round(stopping.Elapsed.TotalMilliseconds));

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

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
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
        console.Write(new Rule("[bold]stepwise demo[/]: the reference scenario on a throwaway PostgreSQL").LeftJustified());
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("#", c => c.RightAligned()).AddColumn("lines").AddColumn("statement").AddColumn("table")
            .AddColumn("rows", c => c.RightAligned()).AddColumn("ms", c => c.RightAligned());
        foreach (var r in summary.Statements)
        {
            var kind = r.OutsideTransaction ? $"{Markup.Escape(r.Kind)} [dim](no transaction)[/]" : Markup.Escape(r.Kind);
            table.AddRow(r.Index.ToString(), r.Lines, kind, Markup.Escape(r.Table ?? ""), r.Rows?.ToString() ?? "", r.Milliseconds.ToString("F1"));
        }
        console.Write(table);
        var tables = new Table().Border(TableBorder.Rounded)
            .AddColumn("table").AddColumn("rows", c => c.RightAligned()).AddColumn("valid indexes", c => c.RightAligned()).AddColumn("validated foreign keys", c => c.RightAligned());
        foreach (var t in summary.Tables)
        {
            tables.AddRow(Markup.Escape(t.Name), t.Rows.ToString(), t.ValidIndexes.ToString(), t.ValidatedForeignKeys.ToString());
        }
        console.Write(tables);
        console.MarkupLine($"PostgreSQL started in [bold]{summary.StartupMilliseconds} ms[/], stopped and removed in [bold]{summary.ShutdownMilliseconds} ms[/].");
    }

    private sealed record StatementResult(int Index, string Lines, string Kind, string? Table, bool OutsideTransaction, int? Rows, double Milliseconds);

    private sealed record TableSummary(string Name, long Rows, long ValidIndexes, long ValidatedForeignKeys);

    private sealed record DemoSummary(double StartupMilliseconds, IReadOnlyList<StatementResult> Statements, IReadOnlyList<TableSummary> Tables, double ShutdownMilliseconds);
}
