using Npgsql;
using Stepwise.Connections;
using Stepwise.Execution;
using Stepwise.Sql;

namespace Stepwise.Fleet;

/// <summary>
/// The fleet state in the catalog database: schema <c>stepwise_fleet</c> (created when missing, idempotently, under a
/// transaction lock so concurrent first runs do not collide), one <c>runs</c> row per fleet and one <c>targets</c> row per
/// target of a fleet. Several fleets share the schema by name. A run holds a session advisory lock on the fleet's name,
/// released when its connection ends (kill -9 included).
/// </summary>
public sealed class FleetStateCatalog : IFleetStateStore
{
    private readonly string _connectionString;
    private readonly string _s;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private NpgsqlConnection? _connection;

    /// <summary>A store for fleet <paramref name="fleet"/> in the catalog database <paramref name="catalog"/> (a URL or connection string).</summary>
    public FleetStateCatalog(string catalog, string fleet = "default", string schema = "stepwise_fleet")
    {
        _connectionString = new NpgsqlConnectionStringBuilder(DatabaseTarget.Parse(catalog).ConnectionString) { Pooling = false, ApplicationName = "stepwise fleet" }.ConnectionString;
        Fleet = fleet;
        Schema = schema;
        _s = Quote.Ident(schema);
    }

    /// <summary>The fleet's name: the key of its rows.</summary>
    public string Fleet { get; }

    /// <summary>The schema holding the state.</summary>
    public string Schema { get; }

    /// <inheritdoc/>
    public async Task<FleetState> LoadAsync(bool exclusive, CancellationToken cancellationToken = default)
    {
        var connection = await ConnectAsync(cancellationToken);
        if (exclusive)
        {
            await using var take = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtext('stepwise_fleet'), hashtext($1))", connection);
            take.Parameters.AddWithValue(Fleet);
            if (await take.ExecuteScalarAsync(cancellationToken) is not true)
            {
                throw new MigrationLockBusyException($"another run of fleet {Fleet} holds its lock in the catalog database: wait for it to end (its targets' own locks keep each database safe either way)");
            }
        }
        FleetRunState? run = null;
        var targets = new Dictionary<string, FleetTargetState>(StringComparer.Ordinal);
        await using var read = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand($"SELECT action, goal, canary_passed, started_at, finished_at, stop FROM {_s}.runs WHERE fleet = $1") { Parameters = { new() { Value = Fleet } } },
                new NpgsqlBatchCommand($"SELECT name, target, version, state, migration, goal, outcome, error, attempt, wave, started_at, finished_at, duration_ms, updated_at FROM {_s}.targets WHERE fleet = $1 ORDER BY name")
                {
                    Parameters = { new() { Value = Fleet } },
                },
            },
        };
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        if (await reader.ReadAsync(cancellationToken))
        {
            run = new FleetRunState(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetString(5));
        }
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            DateTimeOffset? Time(int i) => reader.IsDBNull(i) ? null : reader.GetFieldValue<DateTimeOffset>(i);
            var target = new FleetTargetState(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), Text(4), Text(5), Text(6), Text(7),
                reader.GetInt32(8), reader.IsDBNull(9) ? null : reader.GetInt32(9), Time(10), Time(11), reader.IsDBNull(12) ? null : reader.GetInt64(12), reader.GetFieldValue<DateTimeOffset>(13));
            targets[target.Name] = target;
        }
        return new FleetState(run, targets);
    }

    /// <inheritdoc/>
    public async Task SaveTargetAsync(FleetTargetState target, CancellationToken cancellationToken = default)
    {
        await WriteAsync($"""
            INSERT INTO {_s}.targets (fleet, name, target, version, state, migration, goal, outcome, error, attempt, wave, started_at, finished_at, duration_ms, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
            ON CONFLICT (fleet, name) DO UPDATE SET target = EXCLUDED.target, version = EXCLUDED.version, state = EXCLUDED.state, migration = EXCLUDED.migration,
                goal = EXCLUDED.goal, outcome = EXCLUDED.outcome, error = EXCLUDED.error, attempt = EXCLUDED.attempt, wave = EXCLUDED.wave,
                started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at, duration_ms = EXCLUDED.duration_ms, updated_at = EXCLUDED.updated_at
            """, [Fleet, target.Name, target.Target, target.Version, target.State, target.Migration, target.Goal, target.Outcome, target.Error, target.Attempt, target.Wave,
                target.StartedAt, target.FinishedAt, target.DurationMs, target.UpdatedAt]);
    }

    /// <inheritdoc/>
    public async Task SaveRunAsync(FleetRunState run, CancellationToken cancellationToken = default)
    {
        await WriteAsync($"""
            INSERT INTO {_s}.runs (fleet, action, goal, canary_passed, started_at, finished_at, stop) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (fleet) DO UPDATE SET action = EXCLUDED.action, goal = EXCLUDED.goal, canary_passed = EXCLUDED.canary_passed,
                started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at, stop = EXCLUDED.stop
            """, [Fleet, run.Action, run.Goal, run.CanaryPassed, run.StartedAt, run.FinishedAt, run.Stop]);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
        _gate.Dispose();
    }

    /// <summary>Writes are serialized on the one connection (it holds the fleet's lock); a write is never cancelled half-way.</summary>
    private async Task WriteAsync(string sql, object?[] values)
    {
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            var connection = await ConnectAsync(CancellationToken.None);
            await using var command = new NpgsqlCommand(sql, connection);
            foreach (var value in values)
            {
                command.Parameters.Add(value is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Unknown } : new NpgsqlParameter { Value = value });
            }
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<NpgsqlConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is not null)
        {
            return _connection;
        }
        var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        // One transaction under a lock: two first runs at once must not both create the tables.
        await using (var tx = await connection.BeginTransactionAsync(cancellationToken))
        {
            await using var create = new NpgsqlCommand($"""
                SELECT pg_advisory_xact_lock(hashtext('stepwise_fleet'), 0);
                CREATE SCHEMA IF NOT EXISTS {_s};
                CREATE TABLE IF NOT EXISTS {_s}.runs (
                    fleet text PRIMARY KEY,
                    action text NOT NULL,
                    goal text NOT NULL,
                    canary_passed boolean NOT NULL,
                    started_at timestamptz NOT NULL,
                    finished_at timestamptz,
                    stop text
                );
                CREATE TABLE IF NOT EXISTS {_s}.targets (
                    fleet text NOT NULL,
                    name text NOT NULL,
                    target text NOT NULL,
                    version bigint NOT NULL,
                    state text NOT NULL,
                    migration text,
                    goal text,
                    outcome text,
                    error text,
                    attempt integer NOT NULL DEFAULT 0,
                    wave integer,
                    started_at timestamptz,
                    finished_at timestamptz,
                    duration_ms bigint,
                    updated_at timestamptz NOT NULL,
                    PRIMARY KEY (fleet, name)
                );
                """, connection, tx);
            await create.ExecuteNonQueryAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        _connection = connection;
        return connection;
    }
}
