using Microsoft.Extensions.Hosting;
using Npgsql;
using Stepwise.Hosting;
using Stepwise.IntegrationTests.Hosting;
using Stepwise.Testing;

namespace Stepwise.IntegrationTests.Execution;

/// <summary>A run through PgBouncer: refused in transaction mode (its lock and settings need one session), allowed in session mode.</summary>
public class TransactionPoolingTests(PgBouncerFixture fixture) : IClassFixture<PgBouncerFixture>
{
    private static string Directory(string sql)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("stepwise-pooled-").FullName;
        File.WriteAllText(Path.Combine(directory, "1_t.sql"), sql);
        return directory;
    }

    private static Task<(int ExitCode, string Out, string Error)> Apply(string directory, string database) =>
        CliInvocation.RunAsync(["apply", "--dir", directory, "--no-color", "-d", database], new Dictionary<string, string>(), directory);

    private static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Apply_through_a_pooler_in_transaction_mode_is_refused_and_changes_nothing()
    {
        var direct = await fixture.CreateDatabaseAsync("pooled_transaction");
        var directory = Directory("-- stepwise:up\nCREATE TABLE t (id int);\n");

        var (code, _, error) = await Apply(directory, fixture.ThroughPooler(direct));

        Assert.Equal(2, code);
        Assert.Contains("connection pooler in transaction mode", error);
        Assert.Contains("Connect Stepwise to PostgreSQL directly", error);
        Assert.Equal(0L, await ScalarAsync(direct, "SELECT count(*) FROM pg_namespace WHERE nspname = 'stepwise'"));
        Assert.Equal(0L, await ScalarAsync(direct, "SELECT count(*) FROM pg_class WHERE relname = 't'"));
        Assert.Equal(0L, await ScalarAsync(direct, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"));
    }

    [Fact]
    public async Task A_host_in_Apply_mode_through_a_pooler_in_transaction_mode_refuses_to_start_naming_it()
    {
        var direct = await fixture.CreateDatabaseAsync("pooled_host");
        var directory = Directory("-- stepwise:up\nCREATE TABLE t (id int);\n");
        var log = new ListLogger();
        using var host = TestHosts.Build(log, o =>
        {
            o.ConnectionString = fixture.ThroughPooler(direct);
            o.Directory = directory;
            o.Mode = StepwiseStartupMode.Apply;
        });

        await Assert.ThrowsAsync<SchemaNotReadyException>(() => host.StartAsync());

        var refused = Assert.Single(log.Entries, e => e.Id == HostingEventIds.StartupRefused);
        Assert.Contains("refusing to start: Stepwise is connected through a connection pooler in transaction mode", refused.Message);
        Assert.Equal(0L, await ScalarAsync(direct, "SELECT count(*) FROM pg_class WHERE relname = 't'"));
    }

    [Fact]
    public async Task Apply_through_a_pooler_in_session_mode_runs_as_usual()
    {
        var direct = new NpgsqlConnectionStringBuilder(fixture.Postgres.ConnectionString) { Database = PgBouncerFixture.SessionDatabase }.ConnectionString;
        var directory = Directory("-- stepwise:up\nCREATE TABLE session_t (id int);\n");

        var (code, output, error) = await Apply(directory, fixture.ThroughPooler(direct));

        Assert.True(code == 0, output + error);
        Assert.Equal(1L, await ScalarAsync(direct, "SELECT count(*) FROM pg_class WHERE relname = 'session_t'"));
    }
}
