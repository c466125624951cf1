using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Stepwise.Execution;
using Stepwise.Hosting;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Hosting;

/// <summary>
/// An application that registers an NpgsqlDataSource gives Stepwise its database that way. The data source
/// hides its password (its ConnectionString leaves it out), so this class's server asks one role for a
/// password: the test passes only if Stepwise really connects with it.
/// </summary>
public class DataSourceTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const string Role = "stepwise_pw_app";

    private async Task<string> RequirePasswordAsync(MigrationWorkspace ws, string password)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand($"DROP ROLE IF EXISTS {Role}; CREATE ROLE {Role} LOGIN SUPERUSER PASSWORD '{password}'", connection))
        {
            await create.ExecuteNonQueryAsync();
        }
        await using (var show = new NpgsqlCommand("SHOW hba_file", connection))
        {
            var hba = (string)(await show.ExecuteScalarAsync())!;
            var rules = await File.ReadAllTextAsync(hba);
            if (!rules.Contains(Role, StringComparison.Ordinal))
            {
                await File.WriteAllTextAsync(hba, $"host all {Role} 127.0.0.1/32 scram-sha-256\n" + rules);
            }
        }
        await using (var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection))
        {
            await reload.ExecuteScalarAsync();
        }
        return new NpgsqlConnectionStringBuilder(ws.ConnectionString) { Username = Role, Password = password }.ConnectionString;
    }

    [Fact]
    public async Task Apply_connects_through_the_registered_data_source_with_its_password()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_runs.sql", "-- stepwise:up\nCREATE TABLE workflow_runs (id bigint PRIMARY KEY);\n").WriteSum();
        var password = "pw-" + Guid.NewGuid().ToString("N");
        var withPassword = await RequirePasswordAsync(ws, password);
        await using var dataSource = NpgsqlDataSource.Create(withPassword);
        await using var wrong = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(withPassword) { Password = "wrong" }.ConnectionString);
        using var host = TestHosts.Build(ws.Log, o =>
        {
            o.Directory = ws.Directory;
            o.Mode = StepwiseStartupMode.Apply;
        }, services: s => s.AddSingleton(dataSource));

        var refusedWithoutPassword = await Assert.ThrowsAsync<PostgresException>(async () => await wrong.OpenConnectionAsync());
        await host.StartAsync();
        await host.StopAsync();

        Assert.Equal("28P01", refusedWithoutPassword.SqlState); // the server really checks the password
        Assert.DoesNotContain(password, dataSource.ConnectionString, StringComparison.Ordinal);
        Assert.Equal(Role, await ws.ScalarAsync<string>("SELECT applied_by FROM stepwise.migrations WHERE version = 1"));
        Assert.DoesNotContain(password, string.Join("\n", ws.Log.Entries.Select(e => e.Message)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_connection_string_or_a_data_source_start_up_says_what_to_configure()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        using var host = TestHosts.Build(ws.Log, o => o.Directory = ws.Directory);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Equal("Stepwise has no database: set Stepwise:ConnectionString (or options.ConnectionString in AddStepwise), or register an NpgsqlDataSource", error.Message);
    }
}
