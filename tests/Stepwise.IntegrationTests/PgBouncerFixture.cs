using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Stepwise.Embedded;

namespace Stepwise.IntegrationTests;

/// <summary>
/// A throwaway PostgreSQL server with Debian's <c>pgbouncer</c> in front of it in transaction mode, as production
/// poolers run: <c>IClassFixture&lt;PgBouncerFixture&gt;</c>. Trust authentication; the pooler knows the users
/// <see cref="Users"/> lists (its auth file), so tests that log in as other roles name them there.
/// </summary>
public sealed class PgBouncerFixture : IAsyncLifetime
{
    /// <summary>The roles the pooler lets in (PgBouncer needs each user in its auth file, even with trust).</summary>
    public static readonly string[] Users = ["postgres", "notes_2_rename_body"];

    private TempPostgres? _postgres;
    private Process? _pgbouncer;
    private string? _directory;

    /// <summary>The server behind the pooler.</summary>
    public TempPostgres Postgres => _postgres ?? throw new InvalidOperationException("The fixture has not been initialized.");

    /// <summary>The pooler's port on 127.0.0.1.</summary>
    public int Port { get; private set; }

    /// <summary>Creates a database on the server and returns its direct connection string.</summary>
    public Task<string> CreateDatabaseAsync(string name) => Postgres.CreateDatabaseAsync(name);

    /// <summary>The one database the pooler serves in session mode (each client keeps its server session), for comparison.</summary>
    public const string SessionDatabase = "stepwise_session_pooled";

    /// <summary><paramref name="direct"/> through the pooler instead (same database and user).</summary>
    public string ThroughPooler(string direct) => new NpgsqlConnectionStringBuilder(direct) { Port = Port }.ConnectionString;

    public async Task InitializeAsync()
    {
        _postgres = await TempPostgres.StartAsync();
        await _postgres.CreateDatabaseAsync(SessionDatabase);
        var account = await ServerAccount.ResolveAsync(NullLogger.Instance, CancellationToken.None);
        _directory = Directory.CreateTempSubdirectory("stepwise-pgbouncer-").FullName;
        Port = FreePort();
        var ini = Path.Combine(_directory, "pgbouncer.ini");
        var users = Path.Combine(_directory, "userlist.txt");
        await File.WriteAllTextAsync(users, string.Concat(Users.Select(u => $"\"{u}\" \"\"\n")));
        await File.WriteAllTextAsync(ini, $"""
            [databases]
            {SessionDatabase} = host=127.0.0.1 port={_postgres.Port} pool_mode=session
            * = host=127.0.0.1 port={_postgres.Port}

            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = {Port}
            unix_socket_dir =
            auth_type = trust
            auth_file = {users}
            pool_mode = transaction
            max_client_conn = 200
            default_pool_size = 20
            ignore_startup_parameters = extra_float_digits
            admin_users = postgres

            """);
        account.Own(_directory);
        account.Own(ini);
        account.Own(users);
        var start = account.StartInfo("pgbouncer", _directory, [ini]);
        start.RedirectStandardError = true;
        start.RedirectStandardOutput = true;
        _pgbouncer = Process.Start(start) ?? throw new InvalidOperationException("pgbouncer did not start");
        _pgbouncer.ErrorDataReceived += (_, _) => { };
        _pgbouncer.OutputDataReceived += (_, _) => { };
        _pgbouncer.BeginErrorReadLine();
        _pgbouncer.BeginOutputReadLine();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ThroughPooler(_postgres.ConnectionString) + ";Pooling=false");
                await connection.OpenAsync();
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException && deadline.Elapsed < TimeSpan.FromSeconds(30) && !_pgbouncer.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_pgbouncer is { HasExited: false })
        {
            _pgbouncer.Kill(entireProcessTree: true);
            await _pgbouncer.WaitForExitAsync();
        }
        _pgbouncer?.Dispose();
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
