using System.Text.Json;
using Stepwise.Execution;
using Stepwise.Planning;
using static Stepwise.IntegrationTests.Hosting.InstanceTests;

namespace Stepwise.IntegrationTests.Hosting;

/// <summary>
/// Every way into the contract phase is gated the same way (<c>complete</c>, <c>apply --complete</c>), a dry run names what
/// would block it, and a rollback takes back the version role's <c>search_path</c> its start set.
/// </summary>
public class ContractGateTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const string VersionExists = "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'public_2_rename_body')";

    [Fact]
    public async Task Apply_with_complete_refuses_while_an_older_instance_runs_and_changes_nothing()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        await using var old = new RegisteredOld(two.Database);

        var refused = await Assert.ThrowsAsync<MigrationRefusedException>(() => two.Migrator(two.NewDirectory).ApplyAsync(new ApplyRequest { Complete = true }));
        var status = await two.Migrator(two.NewDirectory).StatusAsync();

        Assert.Contains("complete of 2_rename_body.yaml refused: 1 instance(s) of an older version are still running (legacy-worker on ", refused.Message, StringComparison.Ordinal);
        Assert.Equal(MigrationState.Pending, status.Entries.Single(e => e.Version == 2).State);
        Assert.Equal("False", await ScalarAsync(two, VersionExists));
    }

    [Fact]
    public async Task Apply_with_complete_and_force_runs_both_phases_naming_the_old_instance_in_a_warning()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        await using var old = new RegisteredOld(two.Database);

        var result = await two.Migrator(two.NewDirectory, o => o.Instances.Force = true).ApplyAsync(new ApplyRequest { Complete = true });

        Assert.Equal([PlanPhase.Start, PlanPhase.Complete], result.Runs.Select(r => r.Phase));
        Assert.Single(two.Log.Entries, e => e.Id == EventIds.InstancesIgnored && e.Message.Contains("legacy-worker on ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Apply_with_complete_and_wait_goes_ahead_once_the_old_instance_stops()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        var old = new RegisteredOld(two.Database);

        var apply = two.Migrator(two.NewDirectory, o => o.Instances.Wait = TimeSpan.FromMinutes(1)).ApplyAsync(new ApplyRequest { Complete = true });
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var stillWaiting = !apply.IsCompleted;
        var startedMeanwhile = await ScalarAsync(two, VersionExists);
        await old.DisposeAsync();
        var result = await apply;

        Assert.True(stillWaiting);
        Assert.Equal("False", startedMeanwhile); // the gate comes before the start: nothing ran while it waited
        Assert.Equal([PlanPhase.Start, PlanPhase.Complete], result.Runs.Select(r => r.Phase));
    }

    [Fact]
    public async Task Apply_on_the_command_line_gates_complete_and_refuses_force_or_wait_without_it()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        await using var old = new RegisteredOld(two.Database);

        var (forceAlone, _, forceAloneError) = await RunCliAsync(two, "apply", "--dir", two.NewDirectory, "--force");
        var (refusedCode, _, refusedError) = await RunCliAsync(two, "apply", "--dir", two.NewDirectory, "--complete");
        var (badWait, _, badWaitError) = await RunCliAsync(two, "apply", "--dir", two.NewDirectory, "--complete", "--wait", "soon");
        var (forcedCode, _, forcedError) = await RunCliAsync(two, "apply", "--dir", two.NewDirectory, "--complete", "--force");

        Assert.Equal(2, forceAlone);
        Assert.Contains("--force and --wait only apply to the complete phase", forceAloneError, StringComparison.Ordinal);
        Assert.Equal(2, refusedCode);
        Assert.Contains("legacy-worker on ", refusedError, StringComparison.Ordinal);
        Assert.Contains("--wait", refusedError, StringComparison.Ordinal);
        Assert.Equal(2, badWait);
        Assert.Contains("--wait 'soon' is not a duration", badWaitError, StringComparison.Ordinal);
        Assert.Equal(0, forcedCode);
        Assert.Contains("legacy-worker on ", forcedError, StringComparison.Ordinal);
        Assert.Equal(MigrationState.Applied, (await two.Migrator(two.NewDirectory).StatusAsync()).Entries.Single(e => e.Version == 2).State);
    }

    [Fact]
    public async Task Complete_dry_run_lists_the_instances_that_would_block_it_in_text_and_json_and_changes_nothing()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        var old = new RegisteredOld(two.Database);
        await two.Migrator(two.NewDirectory).ApplyAsync(new ApplyRequest());

        var planned = await two.Migrator(two.NewDirectory).CompleteAsync(dryRun: true);
        var (textCode, text, _) = await RunCliAsync(two, "complete", "--dir", two.NewDirectory, "--dry-run");
        var (_, json, _) = await RunCliAsync(two, "complete", "--dir", two.NewDirectory, "--dry-run", "--format", "json");
        await old.DisposeAsync();
        var (_, clearText, _) = await RunCliAsync(two, "complete", "--dir", two.NewDirectory, "--dry-run");
        var (_, clearJson, _) = await RunCliAsync(two, "complete", "--dir", two.NewDirectory, "--dry-run", "--format", "json");

        Assert.Equal("legacy-worker", Assert.Single(planned.Blockers).ApplicationName);
        Assert.Equal(0, textCode);
        Assert.Contains("complete would be refused: 1 instance(s) of an older schema version are alive", text, StringComparison.Ordinal);
        Assert.Contains("legacy-worker on ", text, StringComparison.Ordinal);
        using (var document = JsonDocument.Parse(json))
        {
            var blocker = Assert.Single(document.RootElement.GetProperty("blockers").EnumerateArray().ToList());
            Assert.Equal("legacy-worker", blocker.GetProperty("applicationName").GetString());
            Assert.Equal(1, blocker.GetProperty("version").GetInt64());
            Assert.Equal("registered", blocker.GetProperty("source").GetString());
        }
        Assert.Contains("no application instance of an older schema version is alive: complete would go ahead", clearText, StringComparison.Ordinal);
        using (var document = JsonDocument.Parse(clearJson))
        {
            Assert.Empty(document.RootElement.GetProperty("blockers").EnumerateArray());
        }
        Assert.Equal(MigrationState.Started, (await two.Migrator(two.NewDirectory).StatusAsync()).Entries.Single(e => e.Version == 2).State);
    }

    [Fact]
    public async Task Rollback_resets_the_search_path_the_start_gave_the_version_role_and_leaves_one_set_by_hand()
    {
        await using var two = await TwoVersions.CreateAsync(fixture.CreateDatabaseAsync);
        void Role(MigratorOptions o) => o.Instances.VersionRole = "notes_rollback_{version}";
        const string Setting = "SELECT coalesce((SELECT array_to_string(setconfig, ';') FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = 'notes_rollback_2' AND s.setdatabase = 0), '(none)')";

        await two.Migrator(two.NewDirectory, Role).ApplyAsync(new ApplyRequest());
        var started = await ScalarAsync(two, Setting);
        await two.Migrator(two.NewDirectory, Role).RollbackAsync();
        var rolledBack = await ScalarAsync(two, Setting);
        await two.Migrator(two.NewDirectory, Role).ApplyAsync(new ApplyRequest());
        await two.ExecuteAsync("ALTER ROLE notes_rollback_2 SET search_path TO public");
        await two.Migrator(two.NewDirectory, Role).RollbackAsync();
        var setByHand = await ScalarAsync(two, Setting);

        Assert.Equal("search_path=public_2_rename_body, public", started);
        Assert.Equal("(none)", rolledBack);
        Assert.Contains(two.Log.Entries, e => e.Id == EventIds.VersionRoleSet && e.Message == "2_rename_body.yaml: rolled back, so role notes_rollback_2 no longer uses version schema public_2_rename_body (its search_path is reset to the server's default)");
        Assert.Equal("search_path=public", setByHand);
        Assert.Equal("False", await ScalarAsync(two, VersionExists));
    }

    private static async Task<string> ScalarAsync(TwoVersions two, string sql)
    {
        await using var db = Npgsql.NpgsqlDataSource.Create(two.Database);
        return await InstanceTests.ScalarAsync(db, sql);
    }
}
