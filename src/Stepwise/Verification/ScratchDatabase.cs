using Npgsql;
using Stepwise.Connections;
using Stepwise.Embedded;
using Stepwise.Execution;
using Stepwise.Sql;

namespace Stepwise.Verification;

/// <summary>
/// An empty database to replay migrations on, thrown away afterwards: a new database on a TempPostgres
/// started for it, or — with a dev URL — a new database created from <c>template0</c> on that server
/// (the database the URL names is only used to connect; nothing in it is read or changed).
/// </summary>
public sealed class ScratchDatabase : IAsyncDisposable
{
    private readonly TempPostgres? _server;
    private readonly string? _maintenance;
    private readonly string? _name;

    private ScratchDatabase(string connectionString, TempPostgres? server, string? maintenance, string? name)
    {
        ConnectionString = connectionString;
        _server = server;
        _maintenance = maintenance;
        _name = name;
    }

    /// <summary>The scratch database's connection string.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates the scratch database.</summary>
    /// <param name="devUrl">A server to create it on (the role needs CREATEDB); null to start a TempPostgres.</param>
    /// <param name="server">Options for the TempPostgres.</param>
    /// <param name="setup">SQL to run on the new database before it is handed out; null for none.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="MigrationRefusedException">The role cannot create a database, or the setup SQL fails (the database is then thrown away).</exception>
    public static async Task<ScratchDatabase> CreateAsync(string? devUrl, TempPostgresOptions? server = null, ReplaySetup? setup = null, CancellationToken cancellationToken = default)
    {
        var scratch = await CreateEmptyAsync(devUrl, server, cancellationToken);
        if (setup is null)
        {
            return scratch;
        }
        try
        {
            await setup.RunAsync(scratch.ConnectionString, cancellationToken);
            return scratch;
        }
        catch
        {
            await scratch.DisposeAsync();
            throw;
        }
    }

    private static async Task<ScratchDatabase> CreateEmptyAsync(string? devUrl, TempPostgresOptions? server, CancellationToken cancellationToken)
    {
        if (devUrl is null)
        {
            var postgres = await TempPostgres.StartAsync(server, cancellationToken);
            return new ScratchDatabase(postgres.ConnectionString, postgres, null, null);
        }
        var target = DatabaseTarget.Parse(devUrl);
        var maintenance = new NpgsqlConnectionStringBuilder(target.ConnectionString) { Pooling = false }.ConnectionString;
        var name = $"stepwise_scratch_{Guid.NewGuid():N}"[..32];
        try
        {
            await ExecuteAsync(maintenance, $"CREATE DATABASE {Quote.Ident(name)} TEMPLATE template0", cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new MigrationRefusedException($"the dev database's role cannot create databases ({ex.MessageText}): grant it CREATEDB, or leave out --dev-url to use a throwaway PostgreSQL");
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            // A database failure, not bad input: exit 3 like an unreachable -d, with what was being reached.
            throw new NpgsqlException($"cannot reach the dev database {target}: {ex.Message}", ex);
        }
        var connectionString = new NpgsqlConnectionStringBuilder(target.ConnectionString) { Database = name }.ConnectionString;
        return new ScratchDatabase(connectionString, null, maintenance, name);
    }

    /// <summary>Drops the scratch database (or stops the TempPostgres).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
            return;
        }
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync(_maintenance!, $"DROP DATABASE IF EXISTS {Quote.Ident(_name!)} WITH (FORCE)", CancellationToken.None);
    }

    internal static async Task ExecuteAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        await using var connection = DataSources.Connection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
