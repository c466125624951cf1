using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Stepwise.Connections;

namespace Stepwise.Embedded;

/// <summary>
/// A throwaway PostgreSQL server on 127.0.0.1 for tests, <c>stepwise verify</c> and <c>stepwise demo</c>:
/// a fresh cluster in a private directory, tuned for speed over durability, with trust authentication for
/// local connections only. Disposing it stops the server and deletes every file it used.
/// </summary>
/// <remarks>
/// Many instances may run at once, in one process or several. A server whose owner process died without
/// disposing it is stopped and removed by the next start (or by <see cref="SweepStaleAsync"/>). When the
/// current user is root, the server runs as the unprivileged OS user <c>postgres</c> (or <c>stepwise</c>,
/// created if needed), because PostgreSQL refuses to run as root.
/// </remarks>
public sealed class TempPostgres : IAsyncDisposable
{
    /// <summary>PostgreSQL's limit on identifier length, in bytes.</summary>
    private const int MaxIdentifierBytes = 63;

    private static readonly ConcurrentDictionary<TempPostgres, byte> s_running = new();

    private readonly Postmaster _postmaster;
    private readonly ILogger _logger;
    private readonly ConcurrentBag<string> _connectionStrings = [];
    private int _disposed;

    static TempPostgres()
    {
        // Servers not disposed by the time the process exits are stopped here, not left running.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAllOnExit();
    }

    private TempPostgres(Postmaster postmaster, string instanceDirectory, string binDirectory, ILogger logger)
    {
        _postmaster = postmaster;
        _logger = logger;
        InstanceDirectory = instanceDirectory;
        BinDirectory = binDirectory;
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = postmaster.Port,
            Username = "postgres",
            Database = "postgres",
        }.ConnectionString;
        _connectionStrings.Add(ConnectionString);
    }

    /// <summary>Npgsql connection string for the <c>postgres</c> database as superuser <c>postgres</c>.</summary>
    public string ConnectionString { get; }

    /// <summary>TCP port the server listens on (address 127.0.0.1).</summary>
    public int Port => _postmaster.Port;

    /// <summary>The cluster's data directory; deleted on dispose.</summary>
    public string DataDirectory => _postmaster.DataDirectory;

    /// <summary>Process id of the postmaster.</summary>
    public int ServerProcessId => _postmaster.ProcessId;

    /// <summary>Directory of the <c>postgres</c> and <c>initdb</c> programs in use.</summary>
    public string BinDirectory { get; }

    /// <summary>This instance's directory: owner record, data directory, socket and server log.</summary>
    internal string InstanceDirectory { get; }

    /// <summary>
    /// Starts a new server and returns once it accepts connections. Before that, servers left behind by
    /// processes that died are stopped and removed.
    /// </summary>
    /// <param name="options">Where binaries and files are, and server settings; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the start; anything already started is stopped and removed.</param>
    /// <exception cref="TempPostgresException">
    /// The binaries are missing, initdb failed, or the server did not start; the message says why and what to do.
    /// </exception>
    public static async Task<TempPostgres> StartAsync(TempPostgresOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (!OperatingSystem.IsLinux())
        {
            // Process ownership, /proc and runuser are what make cleanup and root support work.
            throw new TempPostgresException("TempPostgres runs on Linux only. Point Stepwise at an existing PostgreSQL server instead.");
        }
        options ??= new TempPostgresOptions();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.StartTimeout, TimeSpan.Zero, nameof(options.StartTimeout));
        var logger = options.Logger ?? NullLogger.Instance;
        var clock = Stopwatch.StartNew();

        var binaries = await PostgresBinaries.LocateAsync(options.BinDirectory, cancellationToken);
        var account = await ServerAccount.ResolveAsync(logger, cancellationToken);
        var root = TempRoot.Resolve(options.RootDirectory);
        root.EnsureExists();
        var swept = await StaleInstances.SweepAsync(root, logger, cancellationToken);
        if (swept > 0)
        {
            logger.Swept(swept);
        }

        var instanceDirectory = root.CreateInstanceDirectory(account);
        try
        {
            var dataDirectory = Path.Combine(instanceDirectory, TempRoot.DataDirectoryName);
            if (options.UseTemplate)
            {
                var template = await TemplateCache.GetOrCreateAsync(root, binaries, account, instanceDirectory, logger, cancellationToken);
                await TemplateCache.CopyAsync(template, dataDirectory, account, instanceDirectory, cancellationToken);
            }
            else
            {
                await InitDb.RunAsync(binaries, account, dataDirectory, instanceDirectory, cancellationToken);
            }
            var postmaster = await Postmaster.StartAsync(
                binaries, account, instanceDirectory, dataDirectory, options.Settings, options.StartTimeout, logger, cancellationToken);
            var instance = new TempPostgres(postmaster, instanceDirectory, binaries.Directory, logger);
            s_running.TryAdd(instance, 0);
            logger.Started(binaries.MajorVersion, instance.Port, instance.ServerProcessId, instanceDirectory, clock.ElapsedMilliseconds);
            return instance;
        }
        catch
        {
            DeleteDirectory(instanceDirectory, logger);
            throw;
        }
    }

    /// <summary>Creates a database and returns a connection string for it.</summary>
    /// <param name="name">The database name, used as written (quoted, so case and any characters are kept).</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>This server's connection string with <c>Database</c> set to <paramref name="name"/>.</returns>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('\0', StringComparison.Ordinal) || Encoding.UTF8.GetByteCount(name) > MaxIdentifierBytes)
        {
            throw new ArgumentException(
                $"A PostgreSQL database name has at most {MaxIdentifierBytes} bytes and no NUL character: '{name}'.", nameof(name));
        }
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var connection = DataSources.Connection(ConnectionString);
        await using (connection)
        {
            await connection.OpenAsync(cancellationToken);
            var command = new NpgsqlCommand("CREATE DATABASE " + Sql.Quote.Ident(name), connection);
            await using (command)
            {
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        var connectionString = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
        _connectionStrings.Add(connectionString);
        return connectionString;
    }

    /// <summary>
    /// Stops the server (fast shutdown; immediate shutdown and then SIGKILL if it does not stop in time) and
    /// deletes its directory. Safe to call more than once.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        s_running.TryRemove(this, out _);
        var clock = Stopwatch.StartNew();
        // Idle pooled connections would otherwise outlive the server, and a later server may reuse the port.
        // Npgsql's pools (connections callers opened themselves) and the library's own.
        foreach (var connectionString in _connectionStrings)
        {
            using var connection = new NpgsqlConnection(connectionString);
            NpgsqlConnection.ClearPool(connection);
            DataSources.Clear(connectionString);
        }
        await _postmaster.StopAsync(_logger);
        DeleteDirectory(InstanceDirectory, _logger);
        _logger.Stopped(Port, clock.ElapsedMilliseconds);
    }

    /// <summary>
    /// Stops and removes servers left behind by processes that died without disposing them: every instance
    /// directory whose recorded owner process no longer exists (or whose pid now names another process).
    /// <see cref="StartAsync"/> does this too; call it directly to clean up without starting a server.
    /// </summary>
    /// <param name="options">Only <see cref="TempPostgresOptions.RootDirectory"/> and <see cref="TempPostgresOptions.Logger"/> are used.</param>
    /// <param name="cancellationToken">Stops the sweep between instances.</param>
    /// <returns>How many instance directories were removed.</returns>
    public static Task<int> SweepStaleAsync(TempPostgresOptions? options = null, CancellationToken cancellationToken = default) =>
        StaleInstances.SweepAsync(TempRoot.Resolve(options?.RootDirectory), options?.Logger ?? NullLogger.Instance, cancellationToken);

    private static void DeleteDirectory(string directory, ILogger logger)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone, e.g. swept by another process.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The owner record is gone with our process soon; the next sweep removes the rest.
            logger.CouldNotDelete(directory, e.Message);
        }
    }

    private static void StopAllOnExit()
    {
        var running = s_running.Keys.ToArray();
        if (running.Length > 0)
        {
            Task.WhenAll(running.Select(instance => instance.DisposeAsync().AsTask())).Wait(TimeSpan.FromSeconds(20));
        }
    }
}
