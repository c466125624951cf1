using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Stepwise.Execution;
using Stepwise.Instances;

namespace Stepwise.IntegrationTests.Hosting;

/// <summary>
/// The same two builds through PgBouncer in transaction mode, which refuses a <c>search_path</c> in the startup
/// packet: the new build logs in as its version's role, whose <c>search_path</c> Stepwise set when the migration's
/// start created the version schema. Stepwise's own connections (history, lock, registry) go to the server directly.
/// </summary>
public class PgBouncerTests(PgBouncerFixture fixture) : IClassFixture<PgBouncerFixture>
{
    private const string RolePattern = "notes_{version}_{name}";

    [Fact]
    public async Task Through_pgbouncer_each_version_uses_its_schema_by_role_and_complete_waits_for_the_old_one()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        var pooled = fixture.ThroughPooler(two.Database);
        var oldApp = await two.StartAsync("notes-old", two.OldDirectory, pooled, o => o.Binding = BindingMode.Role);
        var oldDb = oldApp.Services.GetRequiredService<NpgsqlDataSource>();
        var oldTraffic = new Traffic(oldDb, "INSERT INTO notes (body) VALUES ('old')", "SELECT count(*) FROM notes");

        await two.Migrator(two.NewDirectory, o => o.Instances.VersionRole = RolePattern).ApplyAsync(new ApplyRequest());
        var newApp = await two.StartAsync("notes-new", two.NewDirectory, pooled, o =>
        {
            o.Binding = BindingMode.Role;
            o.VersionRole = RolePattern;
        });
        var newDb = newApp.Services.GetRequiredService<NpgsqlDataSource>();
        var newTraffic = new Traffic(newDb, "INSERT INTO notes (body, author) VALUES ('new', 'ann')", "SELECT count(*) FROM notes WHERE author IS NOT NULL");

        var refused = await Assert.ThrowsAsync<MigrationRefusedException>(() => two.Migrator(two.NewDirectory).CompleteAsync());
        await oldTraffic.StopAsync();
        var oldSchemas = await InstanceTests.ScalarAsync(oldDb, InstanceTests.Schemas);
        await oldApp.StopAsync();
        var completed = await two.Migrator(two.NewDirectory).CompleteAsync();
        await newTraffic.StopAsync();
        var newSchemas = await InstanceTests.ScalarAsync(newDb, InstanceTests.Schemas);
        var newUser = await InstanceTests.ScalarAsync(newDb, "SELECT current_user");
        await newApp.StopAsync();

        Assert.Equal("public", oldSchemas);
        Assert.Equal($"{TwoVersions.VersionSchema},public", newSchemas);
        Assert.Equal("notes_2_add_author", newUser);
        Assert.Contains("notes-old on ", refused.Message, StringComparison.Ordinal);
        Assert.Single(completed.Runs);
        Assert.Empty(oldTraffic.Errors);
        Assert.Empty(newTraffic.Errors);
        Assert.True(oldTraffic.Succeeded > 0 && newTraffic.Succeeded > 0);
        Assert.Contains(two.Log.Entries, e => e.Id == EventIds.VersionRoleSet && e.Message.Contains("role notes_2_add_author now uses version schema public_2_add_author", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pgbouncer_in_transaction_mode_refuses_a_search_path_in_the_startup_packet_which_is_why_roles_exist()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        var withSearchPath = new NpgsqlConnectionStringBuilder(fixture.ThroughPooler(two.Database)) { SearchPath = "public", Pooling = false }.ConnectionString;

        await using var connection = new NpgsqlConnection(withSearchPath);
        var refused = await Assert.ThrowsAnyAsync<NpgsqlException>(() => connection.OpenAsync());

        Assert.Contains("search_path", refused.Message, StringComparison.Ordinal);
    }
}
