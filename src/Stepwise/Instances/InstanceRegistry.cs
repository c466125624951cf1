using Npgsql;
using NpgsqlTypes;
using Stepwise.Connections;
using Stepwise.Sql;

namespace Stepwise.Instances;

/// <summary>
/// Running application instances and their schema versions, in the state schema's <c>instances</c> table: each
/// instance registers, keeps a heartbeat, and removes itself on shutdown; one that stops heartbeating counts as gone
/// once its timeout passes (the server's clock decides, so clocks of application hosts do not matter). Sessions of
/// clients that do not register are found in <c>pg_stat_activity</c> by <see cref="ClientPattern"/>s.
/// </summary>
public sealed class InstanceRegistry
{
    private readonly string _connectionString;
    private readonly string _schema;

    /// <summary>A registry in <paramref name="stateSchema"/> of the database at <paramref name="database"/> (a connection string or URL).</summary>
    public InstanceRegistry(string database, string stateSchema = "stepwise")
    {
        ArgumentException.ThrowIfNullOrEmpty(stateSchema);
        _connectionString = DatabaseTarget.Parse(database).ConnectionString;
        _schema = stateSchema;
    }

    /// <summary>
    /// The table, created if missing (the state schema's upgrade step runs the same statements): one row per
    /// instance, alive while <c>heartbeat_at + timeout_ms</c> is in the future.
    /// </summary>
    internal static string CreateTableSql(string stateSchema)
    {
        var s = Quote.Ident(stateSchema);
        return $"""
            CREATE SCHEMA IF NOT EXISTS {s};
            CREATE TABLE IF NOT EXISTS {s}.instances (
                id uuid PRIMARY KEY,
                version bigint NOT NULL,
                migration text NOT NULL,
                version_schema text,
                host text NOT NULL,
                pid integer NOT NULL,
                application_name text NOT NULL,
                started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                heartbeat_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                timeout_ms integer NOT NULL CHECK (timeout_ms > 0)
            );
            """;
    }

    /// <summary>Registers (or, with the same <paramref name="id"/>, refreshes) an instance: its heartbeat is now.</summary>
    /// <exception cref="PostgresException">The server refused (e.g. the role may not write the state schema).</exception>
    public async Task HeartbeatAsync(Guid id, InstanceRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        await using var connection = await OpenAsync(cancellationToken);
        var sql = $"""
            INSERT INTO {Quote.Ident(_schema)}.instances (id, version, migration, version_schema, host, pid, application_name, timeout_ms)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (id) DO UPDATE SET heartbeat_at = clock_timestamp(), timeout_ms = excluded.timeout_ms, version_schema = excluded.version_schema
            """;
        try
        {
            await RunAsync(connection, sql, id, registration, cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            // A state schema from before instances (or none yet): the table is created here, as the upgrade step would.
            await CreateTableAsync(connection, cancellationToken);
            await RunAsync(connection, sql, id, registration, cancellationToken);
        }
    }

    /// <summary>Removes an instance (on shutdown); rows of instances long gone are cleared too.</summary>
    public async Task RemoveAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"""
            DELETE FROM {Quote.Ident(_schema)}.instances
            WHERE id = $1 OR heartbeat_at + timeout_ms * interval '1 millisecond' < clock_timestamp() - interval '1 day'
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid });
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            // Nothing registered: nothing to remove.
        }
    }

    /// <summary>
    /// The live instances: registered ones whose heartbeat is within their timeout, and sessions matching
    /// <paramref name="clients"/>; ordered by version. Empty when nothing was ever registered.
    /// </summary>
    public async Task<IReadOnlyList<Instance>> LiveAsync(IReadOnlyList<ClientPattern>? clients = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ReadLiveAsync(connection, _schema, clients ?? [], cancellationToken);
    }

    /// <summary>
    /// The live instances, read on an open connection. Sessions with the connection's own <c>application_name</c>
    /// (Stepwise's connections, when a migrator reads) never count, whatever the patterns.
    /// </summary>
    internal static async Task<IReadOnlyList<Instance>> ReadLiveAsync(NpgsqlConnection connection, string stateSchema, IReadOnlyList<ClientPattern> clients,
        CancellationToken cancellationToken)
    {
        var live = new List<Instance>();
        await using (var command = new NpgsqlCommand($"""
            SELECT version, migration, version_schema, host, pid, application_name, started_at, heartbeat_at
            FROM {Quote.Ident(stateSchema)}.instances
            WHERE heartbeat_at + timeout_ms * interval '1 millisecond' > clock_timestamp()
            ORDER BY version, started_at
            """, connection))
        {
            try
            {
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    live.Add(new Instance(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
                        reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetFieldValue<DateTimeOffset>(7), InstanceSource.Registered));
                }
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
            {
                // No instance ever registered.
            }
        }
        if (clients.Count > 0)
        {
            await using var sessions = new NpgsqlCommand("""
                SELECT pid, coalesce(application_name, ''), coalesce(host(client_addr), 'local'), backend_start, coalesce(state_change, backend_start)
                FROM pg_stat_activity
                WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
                  AND application_name IS DISTINCT FROM current_setting('application_name') -- the reader's own connections
                """, connection);
            await using var reader = await sessions.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var name = reader.GetString(1);
                foreach (var pattern in clients)
                {
                    if (pattern.Matches(name, out var version))
                    {
                        live.Add(new Instance(version, pattern.Text, null, reader.GetString(2), reader.GetInt32(0), name,
                            reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4), InstanceSource.Session));
                        break;
                    }
                }
            }
        }
        return [.. live.OrderBy(i => i.Version ?? long.MinValue).ThenBy(i => i.StartedAt)];
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = DataSources.Connection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private async Task CreateTableAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(CreateTableSql(_schema), connection);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.DuplicateSchema)
        {
            // Another instance created it at the same moment (IF NOT EXISTS does not serialise concurrent creators).
        }
    }

    private static async Task RunAsync(NpgsqlConnection connection, string sql, Guid id, InstanceRegistration r, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = r.Version, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = r.Migration, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)r.VersionSchema ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = r.Host, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = r.ProcessId, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = r.ApplicationName, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (int)Math.Clamp(r.Timeout.TotalMilliseconds, 1, int.MaxValue), NpgsqlDbType = NpgsqlDbType.Integer });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
