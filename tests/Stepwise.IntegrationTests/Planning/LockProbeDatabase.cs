using Npgsql;
using Stepwise.Embedded;
using Stepwise.Planning;

namespace Stepwise.IntegrationTests.Planning;

/// <summary>A throwaway PostgreSQL with one database holding <see cref="Schema"/>, for tests that read the locks statements take.</summary>
public abstract class LockProbeDatabase : IAsyncLifetime
{
    private TempPostgres? _postgres;

    public string ConnectionString { get; private set; } = string.Empty;

    /// <summary>The SQL that creates what the statements under test lock.</summary>
    protected abstract string Schema { get; }

    public async Task InitializeAsync()
    {
        _postgres = await TempPostgres.StartAsync();
        ConnectionString = await _postgres.CreateDatabaseAsync("locks");
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(Schema, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }
}

/// <summary>Reading pg_locks.</summary>
internal static class PgLocks
{
    /// <summary>Runs <paramref name="sql"/> in a transaction that is rolled back; the strongest lock held per relation oid.</summary>
    public static async Task<Dictionary<uint, LockLevel>> HeldInTransactionAsync(NpgsqlConnection connection, string sql)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var statement = new NpgsqlCommand(sql, connection, transaction))
        {
            await statement.ExecuteNonQueryAsync();
        }
        var held = await OfAsync(connection, transaction, connection.ProcessID, granted: true);
        await transaction.RollbackAsync();
        return held;
    }

    /// <summary>The strongest lock per relation oid that <paramref name="pid"/> holds (or, not <paramref name="granted"/>, waits for).</summary>
    public static async Task<Dictionary<uint, LockLevel>> OfAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, int pid, bool granted)
    {
        await using var command = new NpgsqlCommand("SELECT relation, mode FROM pg_locks WHERE pid = $1 AND locktype = 'relation' AND granted = $2", connection, transaction);
        command.Parameters.AddWithValue(pid);
        command.Parameters.AddWithValue(granted);
        await using var reader = await command.ExecuteReaderAsync();
        var held = new Dictionary<uint, LockLevel>();
        while (await reader.ReadAsync())
        {
            var level = Enum.Parse<LockLevel>(reader.GetString(1)[..^"Lock".Length]);
            var oid = reader.GetFieldValue<uint>(0);
            held[oid] = (LockLevel)Math.Max((int)held.GetValueOrDefault(oid), (int)level);
        }
        return held;
    }
}
