using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Stepwise.Execution;
using Stepwise.Hosting;
using Stepwise.Instances;
using Stepwise.IntegrationTests.Execution;
using Stepwise.Migrations;

namespace Stepwise.IntegrationTests.Hosting;

/// <summary>
/// Two builds of one application against one database: the old one ships migration 1 (<c>notes</c>, with a column
/// <c>body</c>), the new one also migration 2, an operation migration renaming <c>notes.body</c> to <c>content</c>.
/// Its start creates version schema <c>public_2_rename_body</c> (a view of <c>notes</c> showing <c>content</c>), while
/// the table keeps <c>body</c> until complete: the old build reads and writes <c>body</c> on the table, the new one
/// <c>content</c> through its version schema. Each build runs as a host with Stepwise registered, and traffic through
/// its own data source counts what succeeded and what failed.
/// </summary>
internal sealed class TwoVersions : IAsyncDisposable
{
    public const string VersionSchema = "public_2_rename_body";

    /// <summary>The old build's traffic: the column's old name.</summary>
    public const string OldWrite = "INSERT INTO notes (body) VALUES ('old')";

    public const string OldRead = "SELECT count(*) FROM notes WHERE body IS NOT NULL";

    /// <summary>The new build's traffic: the column's new name, which only its version schema shows until complete.</summary>
    public const string NewWrite = "INSERT INTO notes (content) VALUES ('new')";

    public const string NewRead = "SELECT count(*) FROM notes WHERE content IS NOT NULL";

    private const string Notes = "-- stepwise:up\nCREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL);\n";

    private const string RenameBody = """
        operations:
          - rename_column:
              table: notes
              from: body
              to: content
        """;

    private readonly List<IHost> _hosts = [];

    private TwoVersions(string database, string oldDirectory, string newDirectory)
    {
        Database = database;
        OldDirectory = oldDirectory;
        NewDirectory = newDirectory;
    }

    /// <summary>The database, connected to directly (Stepwise's own connections).</summary>
    public string Database { get; }

    /// <summary>The old build's migrations: 1.</summary>
    public string OldDirectory { get; }

    /// <summary>The new build's migrations: 1 and 2.</summary>
    public string NewDirectory { get; }

    public ListLogger Log { get; } = new();

    /// <summary>A database with migration 1 applied (the old build's), and both builds' migration directories.</summary>
    /// <param name="createDatabase">Makes the database.</param>
    /// <param name="versionSchema">The <c>version_schema</c> migration 2 declares, if any (its schema is then that, not <see cref="VersionSchema"/>).</param>
    public static async Task<TwoVersions> CreateAsync(Func<string, Task<string>> createDatabase, string? versionSchema = null)
    {
        var database = await createDatabase($"two{Environment.ProcessId}_{Guid.NewGuid():N}"[..30]);
        var old = Directory.CreateTempSubdirectory("stepwise-old-").FullName;
        var @new = Directory.CreateTempSubdirectory("stepwise-new-").FullName;
        Write(old, ("1_notes.sql", Notes));
        Write(@new, ("1_notes.sql", Notes), ("2_rename_body.yaml", versionSchema is null ? RenameBody : $"version_schema: {versionSchema}\n{RenameBody}"));
        var scenario = new TwoVersions(database, old, @new);
        await scenario.Migrator(old).ApplyAsync(new ApplyRequest());
        return scenario;
    }

    private static void Write(string directory, params (string Name, string Text)[] files)
    {
        foreach (var (name, text) in files)
        {
            File.WriteAllText(Path.Combine(directory, name), text);
        }
        File.WriteAllText(Path.Combine(directory, SumFile.FileName), MigrationDirectory.Load(directory).ComputedSum.Render());
    }

    public Migrator Migrator(string directory, Action<MigratorOptions>? configure = null)
    {
        var options = new MigratorOptions { Database = Database, Directory = directory, Logger = Log };
        configure?.Invoke(options);
        return new Migrator(options);
    }

    /// <summary>
    /// Starts a build: <paramref name="directory"/>'s migrations, registered as <paramref name="name"/>, its data source
    /// <paramref name="appConnection"/> (registered before AddStepwise, as an application does) bound by Stepwise.
    /// </summary>
    public async Task<IHost> StartAsync(string name, string directory, string appConnection, Action<StepwiseOptions>? configure = null)
    {
        var host = TestHosts.Build(Log, o =>
        {
            o.ConnectionString = Database;
            o.Directory = directory;
            o.ApplicationName = name;
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
            o.InstanceTimeout = TimeSpan.FromSeconds(10);
            configure?.Invoke(o);
        }, before: s => s.AddSingleton(NpgsqlDataSource.Create(appConnection)));
        _hosts.Add(host);
        await host.StartAsync();
        return host;
    }

    /// <summary>Runs <paramref name="sql"/> on the database directly (set-up a test needs, such as roles).</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var db = NpgsqlDataSource.Create(Database);
        await using var command = db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The registered instances alive now.</summary>
    public Task<IReadOnlyList<Instance>> LiveAsync() => new InstanceRegistry(Database).LiveAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            host.Dispose();
        }
        NpgsqlConnection.ClearAllPools();
        Directory.Delete(OldDirectory, recursive: true);
        Directory.Delete(NewDirectory, recursive: true);
        await Task.CompletedTask;
    }
}

/// <summary>Reads and writes in a loop through one application's data source until stopped, counting successes and failures.</summary>
internal sealed class Traffic
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<string> _errors = [];

    public Traffic(NpgsqlDataSource db, string write, string read)
    {
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await using (var insert = db.CreateCommand(write))
                    {
                        await insert.ExecuteNonQueryAsync();
                    }
                    await using (var select = db.CreateCommand(read))
                    {
                        await select.ExecuteScalarAsync();
                    }
                    Interlocked.Increment(ref _ok);
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
                {
                    lock (_errors)
                    {
                        _errors.Add(ex.Message);
                    }
                }
                await Task.Delay(10);
            }
        });
    }

    private int _ok;

    public int Succeeded => _ok;

    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    /// <summary>Stops the loop once it has done at least <paramref name="atLeast"/> round trips.</summary>
    public async Task StopAsync(int atLeast = 5)
    {
        while (_ok < atLeast && Errors.Count == 0)
        {
            await Task.Delay(20);
        }
        await _stop.CancelAsync();
        await _loop;
    }
}
