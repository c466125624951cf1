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
/// Two builds of one application against one database: the old one ships migration 1 (<c>notes</c>), the new one
/// also migration 2, an operation migration adding <c>notes.author</c> whose start creates version schema
/// <c>public_2_add_author</c> (views over the tables). Each build runs as a host with Stepwise registered, and
/// traffic through its own data source counts what succeeded and what failed.
/// </summary>
/// <remarks>
/// The version schema is made by an <c>sql</c> operation of the migration, named by <see cref="VersionSchemaName"/>,
/// until starting an operation migration creates version schemas itself; the binding, registry and gate under test
/// are the same either way.
/// </remarks>
internal sealed class TwoVersions : IAsyncDisposable
{
    public const string VersionSchema = "public_2_add_author";

    private const string Notes = "-- stepwise:up\nCREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL);\n";

    private static readonly string AddAuthor = $"""
        operations:
          - add_column:
              table: notes
              column:
                name: author
                type: text
                nullable: true
          - sql:
              up: |
                CREATE SCHEMA {VersionSchema};
                CREATE VIEW {VersionSchema}.notes AS SELECT id, body, author FROM public.notes;
                GRANT USAGE ON SCHEMA {VersionSchema} TO PUBLIC;
                GRANT SELECT, INSERT ON {VersionSchema}.notes TO PUBLIC;
              down: DROP SCHEMA {VersionSchema} CASCADE
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
    public static async Task<TwoVersions> CreateAsync(Func<string, Task<string>> createDatabase)
    {
        var database = await createDatabase($"two{Environment.ProcessId}_{Guid.NewGuid():N}"[..30]);
        var old = Directory.CreateTempSubdirectory("stepwise-old-").FullName;
        var @new = Directory.CreateTempSubdirectory("stepwise-new-").FullName;
        Write(old, ("1_notes.sql", Notes));
        Write(@new, ("1_notes.sql", Notes), ("2_add_author.yaml", AddAuthor));
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
