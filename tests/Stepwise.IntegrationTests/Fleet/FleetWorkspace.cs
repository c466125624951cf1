using Npgsql;
using Stepwise.Fleet;
using Stepwise.Migrations;

namespace Stepwise.IntegrationTests.Fleet;

/// <summary>
/// A fleet for one test: <c>count</c> databases on the class's server, copied from a template database holding the schema they
/// share (<c>CREATE DATABASE ... TEMPLATE</c> copies files: far faster than running the setup in each), a migration directory, and
/// a targets file naming them <c>PREFIX_01</c>, <c>PREFIX_02</c>, ...
/// </summary>
internal sealed class FleetWorkspace : IAsyncDisposable
{
    private readonly PostgresFixture _fixture;

    private FleetWorkspace(PostgresFixture fixture, string prefix, IReadOnlyList<(string Name, string ConnectionString)> databases, string root)
    {
        _fixture = fixture;
        Prefix = prefix;
        Databases = databases;
        Root = root;
        Directory = System.IO.Directory.CreateDirectory(Path.Combine(root, "migrations")).FullName;
        TargetsFile = Path.Combine(root, "targets.txt");
        File.WriteAllLines(TargetsFile, ["# the fleet of this test", .. databases.Select(d => $"{d.Name} {d.ConnectionString}")]);
    }

    public string Prefix { get; }

    public IReadOnlyList<(string Name, string ConnectionString)> Databases { get; }

    public string Root { get; }

    public string Directory { get; }

    public string TargetsFile { get; }

    public string StateFile => Path.Combine(Root, "fleet-state.json");

    public IReadOnlyList<FleetTarget> Targets => FleetTargets.ReadFile(TargetsFile);

    public static async Task<FleetWorkspace> CreateAsync(PostgresFixture fixture, string prefix, int count, string templateSql)
    {
        var template = await fixture.CreateDatabaseAsync("template_" + prefix);
        await using (var connection = await OpenAsync(template))
        {
            await ExecuteAsync(connection, templateSql);
        }
        var databases = new List<(string, string)>();
        await using (var server = await OpenAsync(fixture.ConnectionString))
        {
            for (var i = 1; i <= count; i++)
            {
                var name = $"{prefix}_{i:00}";
                await ExecuteAsync(server, $"CREATE DATABASE \"{name}\" TEMPLATE \"template_{prefix}\"");
                databases.Add((name, new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { Database = name }.ConnectionString));
            }
        }
        return new FleetWorkspace(fixture, prefix, databases, System.IO.Directory.CreateTempSubdirectory("stepwise-fleet-").FullName);
    }

    public FleetWorkspace Write(string fileName, string content)
    {
        File.WriteAllText(Path.Combine(Directory, fileName), content);
        return this;
    }

    public FleetWorkspace WriteSum()
    {
        File.WriteAllText(Path.Combine(Directory, SumFile.FileName), MigrationDirectory.Load(Directory).ComputedSum.Render());
        return this;
    }

    public string ConnectionString(int number) => Databases[number - 1].ConnectionString;

    public string Name(int number) => Databases[number - 1].Name;

    public async Task ExecuteAsync(int number, string sql)
    {
        await using var connection = await OpenAsync(ConnectionString(number));
        await ExecuteAsync(connection, sql);
    }

    /// <summary>One value from every database, in the fleet's order.</summary>
    public async Task<List<T?>> EachAsync<T>(string sql)
    {
        var values = new List<T?>();
        foreach (var (_, connectionString) in Databases)
        {
            await using var connection = await OpenAsync(connectionString);
            await using var command = new NpgsqlCommand(sql, connection);
            var value = await command.ExecuteScalarAsync();
            values.Add(value is null or DBNull ? default : (T)value);
        }
        return values;
    }

    /// <summary>Each database's history as <c>version:status</c> joined by commas (empty without a state schema).</summary>
    public async Task<List<string>> HistoryAsync()
    {
        var history = new List<string>();
        foreach (var (_, connectionString) in Databases)
        {
            await using var connection = await OpenAsync(connectionString);
            await using var exists = new NpgsqlCommand("SELECT to_regclass('stepwise.migrations') IS NOT NULL", connection);
            if (await exists.ExecuteScalarAsync() is not true)
            {
                history.Add("");
                continue;
            }
            await using var read = new NpgsqlCommand("SELECT coalesce(string_agg(version || ':' || status, ',' ORDER BY version), '') FROM stepwise.migrations", connection);
            history.Add((string)(await read.ExecuteScalarAsync())!);
        }
        return history;
    }

    /// <summary>The CLI, in-process, in this workspace (the targets file and state file given by the caller).</summary>
    public Task<(int Code, string Out, string Error)> RunCliAsync(params string[] args) =>
        Stepwise.Testing.CliInvocation.RunAsync([.. args, "--dir", Directory, "--no-color"], new Dictionary<string, string>(), Root);

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using (var server = await OpenAsync(_fixture.ConnectionString))
        {
            foreach (var name in Databases.Select(d => d.Name).Append("template_" + Prefix))
            {
                await ExecuteAsync(server, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            }
        }
        System.IO.Directory.Delete(Root, recursive: true);
    }

    public static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        // Unpooled: an idle pooled connection to the template would make CREATE DATABASE ... TEMPLATE fail.
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
