using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Stepwise.Execution;
using Stepwise.Hosting;
using Stepwise.Instances;

namespace Stepwise.IntegrationTests.Hosting;

/// <summary>
/// Applications bound to their schema version, registered while they run, and no complete while an older version
/// still runs: two builds of one application at once against one database.
/// </summary>
public class InstanceTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    /// <summary>The schemas a connection's unqualified names resolve in, in order.</summary>
    internal const string Schemas = "SELECT array_to_string(current_schemas(false), ',')";

    internal static async Task<string> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    [Fact]
    public async Task Two_versions_run_at_once_each_through_its_schema_and_complete_waits_for_the_old_one_to_stop()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        var oldApp = await two.StartAsync("notes-old", two.OldDirectory, two.Database);
        var oldDb = oldApp.Services.GetRequiredService<NpgsqlDataSource>();
        var oldTraffic = new Traffic(oldDb, TwoVersions.OldWrite, TwoVersions.OldRead);

        await two.Migrator(two.NewDirectory).ApplyAsync(new ApplyRequest()); // starts 2: the new version schema exists now
        var newApp = await two.StartAsync("notes-new", two.NewDirectory, two.Database);
        var newDb = newApp.Services.GetRequiredService<NpgsqlDataSource>();
        var newTraffic = new Traffic(newDb, TwoVersions.NewWrite, TwoVersions.NewRead);

        var live = await two.LiveAsync();
        var refused = await Assert.ThrowsAsync<MigrationRefusedException>(() => two.Migrator(two.NewDirectory).CompleteAsync());
        await oldTraffic.StopAsync();
        await oldApp.StopAsync();
        var afterOldStopped = await two.LiveAsync();
        var completed = await two.Migrator(two.NewDirectory).CompleteAsync();
        await newTraffic.StopAsync();
        var newSearchPath = await ScalarAsync(newDb, Schemas);
        await newApp.StopAsync();

        Assert.Equal("public", await ScalarAsync(oldDb, Schemas)); // built before any version schema: unchanged
        Assert.Equal($"{TwoVersions.VersionSchema},public", newSearchPath);
        Assert.Equal([("notes-old", 1L, (string?)null), ("notes-new", 2L, TwoVersions.VersionSchema)], live.Select(i => (i.ApplicationName, i.Version!.Value, i.VersionSchema)));
        Assert.Contains("1 instance(s) of an older version are still running (notes-old on ", refused.Message, StringComparison.Ordinal);
        Assert.Contains(", version 1_notes)", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["notes-new"], afterOldStopped.Select(i => i.ApplicationName));
        Assert.Equal(Stepwise.Planning.PlanPhase.Complete, Assert.Single(completed.Runs).Phase);
        Assert.Empty(oldTraffic.Errors);
        Assert.Empty(newTraffic.Errors);
        Assert.True(oldTraffic.Succeeded > 0 && newTraffic.Succeeded > 0);
        Assert.Empty(await two.LiveAsync()); // both removed themselves on shutdown
        await using var direct = NpgsqlDataSource.Create(two.Database);
        Assert.Equal("True", await ScalarAsync(direct, "SELECT count(*) FILTER (WHERE content = 'old') > 0 AND count(*) FILTER (WHERE content = 'new') > 0 FROM notes"));
    }

    [Fact]
    public async Task Complete_with_wait_goes_ahead_once_the_old_instance_stops_reporting_progress_meanwhile()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        var oldApp = await two.StartAsync("notes-old", two.OldDirectory, two.Database);
        await two.Migrator(two.NewDirectory).ApplyAsync(new ApplyRequest());

        var complete = two.Migrator(two.NewDirectory, o => o.Instances.Wait = TimeSpan.FromMinutes(1)).CompleteAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var stillWaiting = !complete.IsCompleted;
        await oldApp.StopAsync();
        var result = await complete;

        Assert.True(stillWaiting);
        Assert.Single(result.Runs);
        Assert.Contains(two.Log.Entries, e => e.Id == EventIds.WaitingForInstances && e.Message.StartsWith("waiting for 1 instance(s) of an older version to stop before completing 2_rename_body.yaml (", StringComparison.Ordinal)
            && e.Message.Contains("notes-old on ", StringComparison.Ordinal));
        Assert.Contains(two.Log.Entries, e => e.Id == EventIds.WaitingForInstances && e.Message.StartsWith("no instance of an older version is left after ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Complete_with_a_wait_that_runs_out_refuses_and_changes_nothing()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        await using var registry = new RegisteredOld(two.Database);
        await two.Migrator(two.NewDirectory).ApplyAsync(new ApplyRequest());

        var refused = await Assert.ThrowsAsync<MigrationRefusedException>(() => two.Migrator(two.NewDirectory, o => o.Instances.Wait = TimeSpan.FromSeconds(1)).CompleteAsync());
        var status = await two.Migrator(two.NewDirectory).StatusAsync();

        Assert.Contains("still alive after waiting 1s", refused.Message, StringComparison.Ordinal);
        Assert.Equal(MigrationState.Started, status.Entries.Single(e => e.Version == 2).State);
    }

    [Fact]
    public async Task Complete_with_force_goes_ahead_and_names_the_old_instances_in_a_warning()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        await using var old = new RegisteredOld(two.Database);
        await two.Migrator(two.NewDirectory).ApplyAsync(new ApplyRequest());

        var result = await two.Migrator(two.NewDirectory, o => o.Instances.Force = true).CompleteAsync();

        Assert.Single(result.Runs);
        Assert.Contains(two.Log.Entries, e => e.Id == EventIds.InstancesIgnored && e.Message.Contains("legacy-worker on ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_instance_that_stops_heartbeating_no_longer_blocks_complete_once_its_timeout_passes()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        var registry = new InstanceRegistry(two.Database);
        await registry.HeartbeatAsync(Guid.NewGuid(), new InstanceRegistration { Version = 1, Migration = "1_notes", ApplicationName = "killed", Timeout = TimeSpan.FromSeconds(1) });
        await two.Migrator(two.NewDirectory).ApplyAsync(new ApplyRequest());

        var whileAlive = await registry.LiveAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        var result = await two.Migrator(two.NewDirectory).CompleteAsync();

        Assert.Equal("killed", Assert.Single(whileAlive).ApplicationName);
        Assert.Single(result.Runs);
    }

    [Fact]
    public async Task A_session_matching_a_client_pattern_counts_as_an_instance_of_the_version_its_name_carries()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        await two.Migrator(two.NewDirectory).ApplyAsync(new ApplyRequest());
        await using var oldClient = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(two.Database) { ApplicationName = "billing-1", Pooling = false }.ConnectionString);
        await oldClient.OpenAsync();
        await using var newClient = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(two.Database) { ApplicationName = "billing-2", Pooling = false }.ConnectionString);
        await newClient.OpenAsync();
        void Clients(MigratorOptions o) => o.Instances.Clients.Add(ClientPattern.Parse("billing-{version}"));

        var refused = await Assert.ThrowsAsync<MigrationRefusedException>(() => two.Migrator(two.NewDirectory, Clients).CompleteAsync());
        var listed = await two.Migrator(two.NewDirectory, Clients).InstancesAsync();
        await oldClient.CloseAsync();
        var result = await two.Migrator(two.NewDirectory, Clients).CompleteAsync();

        Assert.Contains("1 instance(s) of an older version", refused.Message, StringComparison.Ordinal);
        Assert.Contains("'billing-1'", refused.Message, StringComparison.Ordinal);
        Assert.Equal([("billing-1", (long?)1, InstanceSource.Session), ("billing-2", 2, InstanceSource.Session)], listed.Select(i => (i.ApplicationName, i.Version, i.Source)));
        Assert.Single(result.Runs);
    }

    [Fact]
    public async Task Status_lists_live_instances_by_version_in_text_and_json()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        await using var old = new RegisteredOld(two.Database);

        var (code, text, _) = await RunCliAsync(two, "status");
        var (_, json, _) = await RunCliAsync(two, "status", "--format", "json");

        Assert.Equal(0, code);
        Assert.Contains("│ 1_notes ", text, StringComparison.Ordinal);
        Assert.Contains("legacy-worker@", text, StringComparison.Ordinal);
        using var document = System.Text.Json.JsonDocument.Parse(json);
        var instance = Assert.Single(document.RootElement.GetProperty("instances").EnumerateArray().ToList());
        Assert.Equal(1, instance.GetProperty("version").GetInt64());
        Assert.Equal("1_notes", instance.GetProperty("migration").GetString());
        Assert.Equal("legacy-worker", instance.GetProperty("applicationName").GetString());
        Assert.Equal("registered", instance.GetProperty("source").GetString());
    }

    [Fact]
    public async Task Complete_on_the_command_line_refuses_naming_the_old_instance_and_passes_with_force()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        await using var old = new RegisteredOld(two.Database);
        await two.Migrator(two.NewDirectory).ApplyAsync(new ApplyRequest());

        var (refusedCode, _, refusedError) = await RunCliAsync(two, "complete", "--dir", two.NewDirectory);
        var (badWait, _, badWaitError) = await RunCliAsync(two, "complete", "--dir", two.NewDirectory, "--wait", "soon");
        var (forcedCode, _, forcedError) = await RunCliAsync(two, "complete", "--dir", two.NewDirectory, "--force");

        Assert.NotEqual(0, refusedCode);
        Assert.Contains("legacy-worker on ", refusedError, StringComparison.Ordinal);
        Assert.Contains("--wait", refusedError, StringComparison.Ordinal);
        Assert.Equal(2, badWait);
        Assert.Contains("--wait 'soon' is not a duration", badWaitError, StringComparison.Ordinal);
        Assert.Equal(0, forcedCode);
        Assert.Contains("legacy-worker on ", forcedError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_data_counts_the_live_instances_per_version()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        await using var old = new RegisteredOld(two.Database);
        var app = await two.StartAsync("notes-old", two.OldDirectory, two.Database);

        var report = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        await app.StopAsync();

        var instances = Assert.IsType<Dictionary<string, int>>(report.Entries["stepwise"].Data["instances"]);
        Assert.Equal(2, instances["1_notes"]);
    }

    [Fact]
    public async Task A_data_source_built_with_AddStepwiseDataSource_uses_the_version_and_keeps_its_builder_settings()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        await two.Migrator(two.NewDirectory).ApplyAsync(new ApplyRequest());
        var configured = false;
        using var host = TestHosts.Build(two.Log, o => o.Directory = two.NewDirectory,
            services: s => s.AddStepwiseDataSource(two.Database, b => { b.Name = "notes"; configured = true; }));
        await host.StartAsync();

        var db = host.Services.GetRequiredService<NpgsqlDataSource>();
        var searchPath = await ScalarAsync(db, Schemas);
        await host.StopAsync();

        Assert.True(configured);
        Assert.Equal($"{TwoVersions.VersionSchema},public", searchPath);
    }

    [Fact]
    public async Task A_data_source_registered_after_AddStepwise_stays_unbound_and_start_up_warns_about_it()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        await two.Migrator(two.NewDirectory).ApplyAsync(new ApplyRequest());
        using var host = TestHosts.Build(two.Log, o =>
        {
            o.ConnectionString = two.Database;
            o.Directory = two.NewDirectory;
        }, services: s => s.AddSingleton(NpgsqlDataSource.Create(two.Database)));
        await host.StartAsync();

        var schemas = await ScalarAsync(host.Services.GetRequiredService<NpgsqlDataSource>(), Schemas);
        await host.StopAsync();

        Assert.Equal("public", schemas);
        Assert.Contains(two.Log.Entries, e => e.Id == HostingEventIds.Bound
            && e.Message.StartsWith("the NpgsqlDataSource in the service provider does not use version 2_rename_body through search_path", StringComparison.Ordinal)
            && e.Message.Contains("register it before AddStepwise", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_version_schema_the_file_names_itself_is_the_one_the_app_binds_to_and_the_version_role_uses()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync, versionSchema: "notes_v2");
        await two.Migrator(two.NewDirectory, o => o.Instances.VersionRole = "notes_declared_{version}").ApplyAsync(new ApplyRequest());
        var app = await two.StartAsync("notes-new", two.NewDirectory, two.Database);
        var db = app.Services.GetRequiredService<NpgsqlDataSource>();

        var schemas = await ScalarAsync(db, Schemas);
        var inserted = await ScalarAsync(db, "INSERT INTO notes (content) VALUES ('new') RETURNING content");
        var roleSetting = await ScalarAsync(db, "SELECT array_to_string(setconfig, ';') FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = 'notes_declared_2'");
        var live = await two.LiveAsync();
        await app.StopAsync();

        Assert.Equal("notes_v2,public", schemas);
        Assert.Equal("new", inserted);
        Assert.Equal("search_path=notes_v2, public", roleSetting);
        Assert.Equal("notes_v2", Assert.Single(live).VersionSchema);
    }

    [Fact]
    public async Task Role_binding_refuses_to_start_when_the_version_role_does_not_exist()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        await two.Migrator(two.NewDirectory).ApplyAsync(new ApplyRequest()); // no role pattern: no role made
        var app = two.StartAsync("notes-new", two.NewDirectory, two.Database, o =>
        {
            o.Binding = BindingMode.Role;
            o.VersionRole = "notes_{version}_{name}";
        });

        var refused = await Assert.ThrowsAsync<SchemaNotReadyException>(() => app);

        Assert.Contains("version schema public_2_rename_body exists, but its role notes_2_rename_body does not", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await two.LiveAsync());
    }

    [Fact]
    public async Task Start_up_refuses_when_the_instance_cannot_register_and_says_what_to_grant()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        await using (var setup = NpgsqlDataSource.Create(two.Database))
        await using (var command = setup.CreateCommand("DROP ROLE IF EXISTS notes_reader; CREATE ROLE notes_reader LOGIN; GRANT USAGE ON SCHEMA stepwise TO notes_reader; GRANT SELECT ON ALL TABLES IN SCHEMA stepwise TO notes_reader"))
        {
            await command.ExecuteNonQueryAsync();
        }
        var reader = new NpgsqlConnectionStringBuilder(two.Database) { Username = "notes_reader" }.ConnectionString;
        using var host = TestHosts.Build(two.Log, o =>
        {
            o.ConnectionString = reader;
            o.Directory = two.OldDirectory;
        });

        var refused = await Assert.ThrowsAsync<SchemaNotReadyException>(() => host.StartAsync());

        Assert.Contains("cannot register this instance in stepwise.instances", refused.Message, StringComparison.Ordinal);
        Assert.Contains("grant the application's role INSERT, UPDATE, DELETE on stepwise.instances", refused.Message, StringComparison.Ordinal);
        Assert.Contains("RegisterInstance to false", refused.Message, StringComparison.Ordinal);
    }

    internal static async Task<(int Code, string Out, string Error)> RunCliAsync(TwoVersions two, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var env = new Stepwise.Cli.CliEnvironment(stdout, stderr, name => name == "STEPWISE_DATABASE_URL" ? two.Database : null, two.OldDirectory);
        var withDir = args.Contains("--dir") ? args : [.. args, "--dir", two.OldDirectory];
        var code = await Stepwise.Cli.StepwiseCli.RunAsync([.. withDir, "--no-color"], env);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>An instance of version 1 registered as a hosted application of the old build would be, removed on dispose.</summary>
    internal sealed class RegisteredOld : IAsyncDisposable
    {
        private readonly InstanceRegistry _registry;
        private readonly Guid _id = Guid.NewGuid();

        public RegisteredOld(string database)
        {
            _registry = new InstanceRegistry(database);
            _registry.HeartbeatAsync(_id, new InstanceRegistration { Version = 1, Migration = "1_notes", ApplicationName = "legacy-worker", Timeout = TimeSpan.FromMinutes(5) })
                .GetAwaiter().GetResult();
        }

        public async ValueTask DisposeAsync() => await _registry.RemoveAsync(_id);
    }
}
