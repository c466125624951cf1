using System.Globalization;
using Npgsql;
using Stepwise.Embedded;
using Stepwise.Operations;

namespace Stepwise.Bench;

/// <summary>
/// The reference scenario's data, shared by the backfill and load benchmarks: organizations, workflows
/// (10 per organization) and <c>workflow_runs</c> keyed by a random UUID (so key order is not heap order),
/// built once per size in a template database and copied with <c>CREATE DATABASE ... TEMPLATE</c>, which
/// copies the files: every contender starts from the same pages, fill factor, visibility map and statistics.
/// </summary>
internal static class ReferenceData
{
    public const int Organizations = 1_000;
    public const int Workflows = 10_000;

    /// <summary>What the migration computes for a run, and what the backfill benchmark writes (bare names are the row's columns).</summary>
    public const string OrganizationOf = "(SELECT w.organization_id FROM workflows w WHERE w.id = workflow_id)";

    /// <summary>The reference migration: the NOT NULL, foreign-keyed organization_id and the index on it.</summary>
    public static OperationFile Migration() => new(null,
    [
        new AddColumn("workflow_runs",
            new ColumnDefinition("organization_id", "uuid", Nullable: false, References: new ForeignKeyReference("workflow_runs_organization_id_fkey", "organizations", "id")),
            OrganizationOf),
        new CreateIndex("workflow_runs_org_created_idx", "workflow_runs", [new IndexColumn("organization_id"), new IndexColumn("created_at", Sort: "DESC")]),
    ]);

    /// <summary>The reference migration as a file in a migration directory (<see cref="Migration"/>'s operations), for benchmarks that run the CLI or a migrator.</summary>
    public const string MigrationYaml = """
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

    /// <summary>
    /// Creates database <paramref name="name"/> holding the schema and <paramref name="runs"/> runs, vacuumed and
    /// analyzed. With <paramref name="organizationColumn"/>, workflow_runs already has the (empty, nullable)
    /// column a backfill fills; <paramref name="primaryKey"/> false leaves the table without a key (ctid batches).
    /// </summary>
    public static async Task CreateAsync(TempPostgres server, string name, long runs, bool organizationColumn, bool primaryKey)
    {
        var connectionString = await server.CreateDatabaseAsync(name);
        await using var connection = await OpenAsync(connectionString);
        var n = runs.ToString(CultureInfo.InvariantCulture);
        await ExecuteAsync(connection, $"""
            CREATE TABLE organizations (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);
            INSERT INTO organizations (name) SELECT 'org ' || g FROM generate_series(1, {Organizations}) g;
            CREATE TABLE workflows (id bigint PRIMARY KEY, organization_id uuid NOT NULL REFERENCES organizations, name text NOT NULL, deleted_at timestamptz);
            INSERT INTO workflows SELECT g, o.id, 'workflow ' || g, NULL
                FROM generate_series(1, {Workflows}) g JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM organizations) o ON o.n = 1 + g % {Organizations};
            CREATE TABLE workflow_runs (id uuid {(primaryKey ? "PRIMARY KEY " : "")}DEFAULT gen_random_uuid(), workflow_id bigint NOT NULL REFERENCES workflows,
                state text NOT NULL DEFAULT 'queued', created_at timestamptz NOT NULL DEFAULT now(){(organizationColumn ? ", organization_id uuid" : "")});
            INSERT INTO workflow_runs (id, workflow_id, state, created_at)
                SELECT gen_random_uuid(), 1 + g % {Workflows}, (ARRAY['succeeded', 'failed', 'cancelled'])[1 + g % 3], now() - (({n} - g) * interval '1 second')
                FROM generate_series(1, {n}) g;
            CREATE INDEX workflow_runs_workflow_created_idx ON workflow_runs (workflow_id, created_at DESC);
            """);
        await ExecuteAsync(connection, "VACUUM ANALYZE");
        await ExecuteAsync(connection, "CHECKPOINT");
    }

    /// <summary>A fresh copy of <paramref name="template"/> (no one may be connected to the template).</summary>
    public static async Task<string> CopyAsync(TempPostgres server, string template, string name)
    {
        await using var connection = await OpenAsync(server.ConnectionString);
        await ExecuteAsync(connection, $"DROP DATABASE IF EXISTS \"{name}\"");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await ExecuteAsync(connection, $"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
                break;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 50)
            {
                await Task.Delay(200); // an autovacuum worker is visiting the template
            }
        }
        // No dirty buffers or WAL of the copy (or of the last contender) left to write during the next run.
        await ExecuteAsync(connection, "CHECKPOINT");
        return new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = name }.ConnectionString;
    }

    public static async Task DropAsync(TempPostgres server, string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = await OpenAsync(server.ConnectionString);
        await ExecuteAsync(connection, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }

    /// <summary>A connection outside the pool, so dropping a database never waits for an idle pooled one.</summary>
    public static async Task<NpgsqlConnection> OpenAsync(string connectionString, string applicationName = "bench")
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, ApplicationName = applicationName, CommandTimeout = 0 };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Sizes from an environment variable (<c>100k,1M,5M</c> or plain numbers), or the defaults.</summary>
    public static long[] Sizes(string variable, params long[] defaults)
    {
        var text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return defaults;
        }
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Size).ToArray();
    }

    private static long Size(string text)
    {
        var (digits, scale) = char.ToUpperInvariant(text[^1]) switch
        {
            'K' => (text[..^1], 1_000L),
            'M' => (text[..^1], 1_000_000L),
            _ => (text, 1L),
        };
        return (long)(double.Parse(digits, CultureInfo.InvariantCulture) * scale);
    }

    /// <summary><c>100k</c>, <c>2M</c>: a size for a table row.</summary>
    public static string Label(long rows) => rows switch
    {
        >= 1_000_000 when rows % 1_000_000 == 0 => $"{rows / 1_000_000}M",
        >= 1_000 when rows % 1_000 == 0 => $"{rows / 1_000}k",
        _ => rows.ToString("N0", CultureInfo.InvariantCulture),
    };
}
