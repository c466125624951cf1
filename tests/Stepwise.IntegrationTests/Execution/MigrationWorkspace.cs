using Microsoft.Extensions.Logging;
using Npgsql;
using Stepwise.Execution;
using Stepwise.Migrations;
using Stepwise.Testing;

namespace Stepwise.IntegrationTests.Execution;

/// <summary>A fresh database on the class's server and a migration directory for one test.</summary>
internal sealed class MigrationWorkspace : IAsyncDisposable
{
    private static int s_counter;

    private MigrationWorkspace(string connectionString, string directory)
    {
        ConnectionString = connectionString;
        Directory = directory;
    }

    public string ConnectionString { get; }

    public string Directory { get; }

    public ListLogger Log { get; } = new();

    public static async Task<MigrationWorkspace> CreateAsync(PostgresFixture fixture)
    {
        var name = $"w{Environment.ProcessId}_{Interlocked.Increment(ref s_counter)}";
        var connectionString = await fixture.CreateDatabaseAsync(name);
        var directory = System.IO.Directory.CreateTempSubdirectory("stepwise-mig-").FullName;
        return new MigrationWorkspace(connectionString, directory);
    }

    public MigrationWorkspace Write(string fileName, string content)
    {
        File.WriteAllText(Path.Combine(Directory, fileName), content);
        return this;
    }

    public MigrationWorkspace WriteSum()
    {
        File.WriteAllText(Path.Combine(Directory, SumFile.FileName), MigrationDirectory.Load(Directory).ComputedSum.Render());
        return this;
    }

    public Migrator Migrator(Action<MigratorOptions>? configure = null)
    {
        var options = new MigratorOptions
        {
            Database = ConnectionString,
            Directory = Directory,
            Logger = Log,
        };
        configure?.Invoke(options);
        return new Migrator(options);
    }

    public async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull or null ? default : (T)value;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs the stepwise command (in-process, or the binary named by STEPWISE_TEST_CLI) against this workspace's database and directory.</summary>
    public Task<(int Code, string Out, string Error)> RunCliAsync(params string[] args) =>
        CliInvocation.RunAsync([.. args, "--dir", Directory, "--no-color"], new Dictionary<string, string> { ["STEPWISE_DATABASE_URL"] = ConnectionString }, Directory);

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
        await Task.CompletedTask;
    }
}

/// <summary>Collects log lines so tests can assert on what was reported.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly List<(EventId Id, string Message)> _entries = [];

    public IReadOnlyList<(EventId Id, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries)
        {
            _entries.Add((eventId, formatter(state, exception)));
        }
    }
}
