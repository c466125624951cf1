using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Stepwise.Execution;

/// <summary>
/// One runner at a time: a session-level advisory lock, keyed by the state schema, held on a
/// connection dedicated to it for the whole run, so it also covers statements that run outside
/// transactions. PostgreSQL releases it if the runner's session ends, so a crash never leaves it held.
/// </summary>
internal sealed class AdvisoryLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly long _key;
    private bool _held;

    private readonly string _stateSchema;

    private AdvisoryLock(NpgsqlConnection connection, string stateSchema)
    {
        _connection = connection;
        _stateSchema = stateSchema;
        _key = KeyFor(stateSchema);
    }

    /// <summary>The connection holding the lock, free for short queries (who blocks whom) meanwhile.</summary>
    public NpgsqlConnection Connection => _connection;

    internal static long KeyFor(string stateSchema) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes("stepwise migration lock: " + stateSchema)));

    public static async Task<AdvisoryLock> AcquireAsync(NpgsqlConnection connection, string stateSchema, bool wait, ILogger logger, CancellationToken cancellationToken)
    {
        var advisory = new AdvisoryLock(connection, stateSchema);
        var announced = DateTime.MinValue;
        while (true)
        {
            await using (var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection))
            {
                command.Parameters.AddWithValue(advisory._key);
                if ((bool)(await command.ExecuteScalarAsync(cancellationToken))!)
                {
                    advisory._held = true;
                    return advisory;
                }
            }
            var holder = await advisory.DescribeHolderAsync(cancellationToken);
            if (!wait)
            {
                throw new MigrationLockBusyException($"another Stepwise run holds the migration lock for schema '{stateSchema}': {holder}; try again when it ends");
            }
            if (DateTime.UtcNow - announced > TimeSpan.FromSeconds(30))
            {
                logger.LogInformation(EventIds.WaitingForLock, "waiting for the migration lock held by {Holder}", holder);
                announced = DateTime.UtcNow;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200 + Random.Shared.Next(200)), cancellationToken);
        }
    }

    /// <summary>
    /// The condition on <c>pg_locks l</c> that finds the session holding the lock of <paramref name="stateSchema"/> in
    /// this database (the key's two halves as <c>pg_locks</c> shows a bigint key), for a query of its own.
    /// </summary>
    internal static string HeldBy(string stateSchema)
    {
        var key = KeyFor(stateSchema);
        return $"""
            l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
              AND l.classid = {(uint)(key >> 32)}::oid AND l.objid = {(uint)key}::oid
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """;
    }

    private async Task<string> DescribeHolderAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''), coalesce(a.client_addr::text, 'local'), a.backend_start
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE {HeldBy(_stateSchema)}
            LIMIT 1
            """, _connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return "a session that has just ended";
        }
        return $"pid {reader.GetInt32(0)} (application '{reader.GetString(1)}', role {reader.GetString(2)}, from {reader.GetString(3)}, connected since {reader.GetFieldValue<DateTimeOffset>(4):u})";
    }

    public async ValueTask DisposeAsync()
    {
        if (_held && _connection.State == System.Data.ConnectionState.Open)
        {
            try
            {
                await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", _connection);
                command.Parameters.AddWithValue(_key);
                await command.ExecuteScalarAsync();
            }
            catch (NpgsqlException)
            {
                // The session is gone, and its lock with it.
            }
        }
        _held = false;
    }
}
