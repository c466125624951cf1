using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Stepwise.Execution;
using Stepwise.Hosting;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Hosting;

public class StartupTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static MigrationWorkspace WriteTwo(MigrationWorkspace ws) =>
        ws.Write("1_runs.sql", "-- stepwise:up\nCREATE TABLE workflow_runs (id bigint PRIMARY KEY);\n")
          .Write("2_org.sql", "-- stepwise:up\nALTER TABLE workflow_runs ADD COLUMN organization_id uuid;\n").WriteSum();

    [Fact]
    public async Task RequireUpToDate_refuses_to_start_with_one_line_naming_the_pending_migration_and_the_command_that_fixes_it()
    {
        await using var ws = WriteTwo(await MigrationWorkspace.CreateAsync(fixture));
        await ws.Migrator().ApplyAsync(new ApplyRequest { ToVersion = 1 });
        var password = "pw-" + Guid.NewGuid().ToString("N");
        using var host = TestHosts.Build(ws.Log, o =>
        {
            o.ConnectionString = new NpgsqlConnectionStringBuilder(ws.ConnectionString) { Password = password }.ConnectionString;
            o.Directory = ws.Directory;
        });

        var error = await Assert.ThrowsAsync<SchemaNotReadyException>(() => host.StartAsync());

        var refused = Assert.Single(ws.Log.Entries, e => e.Id == HostingEventIds.StartupRefused);
        Assert.DoesNotContain('\n', refused.Message);
        Assert.StartsWith("refusing to start: the database is not ready for this application: migration 2_org.sql is pending: run stepwise apply. Fix: stepwise apply -d \"",
            refused.Message, StringComparison.Ordinal);
        Assert.EndsWith($"\" --dir {ws.Directory}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Database=" + new NpgsqlConnectionStringBuilder(ws.ConnectionString).Database, refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(password, string.Join("\n", ws.Log.Entries.Select(e => e.Message)), StringComparison.Ordinal);
        Assert.Equal(["migration 2_org.sql is pending: run stepwise apply"], error.Problems);
        Assert.Equal(1L, await ws.ScalarAsync<long>("SELECT count(*) FROM stepwise.migrations")); // nothing applied
    }

    [Fact]
    public async Task RequireUpToDate_starts_when_everything_is_applied_and_refuses_when_a_required_column_is_missing()
    {
        await using var ws = WriteTwo(await MigrationWorkspace.CreateAsync(fixture));
        await ws.Migrator().ApplyAsync(new ApplyRequest());
        using var ready = TestHosts.For(ws, StepwiseStartupMode.RequireUpToDate, o => o.Require("workflow_runs", "id", "organization_id"));
        using var missing = TestHosts.For(ws, StepwiseStartupMode.RequireUpToDate, o => o.Require("public.workflow_runs", "id", "tenant_id"));

        await ready.StartAsync();
        await ready.StopAsync();
        var error = await Assert.ThrowsAsync<SchemaNotReadyException>(() => missing.StartAsync());

        Assert.Contains(ws.Log.Entries, e => e.Id == HostingEventIds.SchemaReady && e.Message.StartsWith("the database is up to date (version 2)", StringComparison.Ordinal));
        Assert.Equal(["column public.workflow_runs.tenant_id, which the application needs, does not exist: run stepwise apply (or add a migration that creates it)"], error.Problems);
    }

    [Fact]
    public async Task RequireUpToDate_refuses_a_failed_or_modified_migration()
    {
        await using var ws = WriteTwo(await MigrationWorkspace.CreateAsync(fixture));
        ws.Write("3_bad.sql", "-- stepwise:up\nALTER TABLE nowhere ADD COLUMN x int;\n").WriteSum();
        await Assert.ThrowsAsync<MigrationFailedException>(() => ws.Migrator().ApplyAsync(new ApplyRequest()));
        ws.Write("1_runs.sql", "-- stepwise:up\nCREATE TABLE workflow_runs (id bigint PRIMARY KEY, x int);\n").WriteSum();
        using var host = TestHosts.For(ws, StepwiseStartupMode.RequireUpToDate);

        var error = await Assert.ThrowsAsync<SchemaNotReadyException>(() => host.StartAsync());

        Assert.Equal(2, error.Problems.Count);
        Assert.Equal("migration 1_runs.sql was changed after it was applied: undo the edit, or stepwise repair --yes", error.Problems[0]);
        Assert.StartsWith("migration 3_bad.sql failed (42P01: relation \"nowhere\" does not exist): fix it and run stepwise apply", error.Problems[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_applies_pending_migrations_before_the_host_starts_and_then_checks_the_required_columns()
    {
        await using var ws = WriteTwo(await MigrationWorkspace.CreateAsync(fixture));
        using var host = TestHosts.For(ws, StepwiseStartupMode.Apply, o => o.Require("workflow_runs", "organization_id"));
        using var needsMore = TestHosts.For(ws, StepwiseStartupMode.Apply, o => o.Require("workflow_runs", "tenant_id"));

        await host.StartAsync();
        await host.StopAsync();
        var error = await Assert.ThrowsAsync<SchemaNotReadyException>(() => needsMore.StartAsync());

        Assert.Equal(2L, await ws.ScalarAsync<long>("SELECT count(*) FROM stepwise.migrations WHERE status = 'applied'"));
        Assert.Contains(ws.Log.Entries, e => e.Id == HostingEventIds.Applied && e.Message == "2 run(s) applied: 1_runs.sql up, 2_org.sql up");
        Assert.Contains(ws.Log.Entries, e => e.Id == EventIds.MigrationApplied && e.Message.StartsWith("applied 2_org.sql", StringComparison.Ordinal));
        Assert.Contains(ws.Log.Entries, e => e.Id == HostingEventIds.Applied && e.Message.StartsWith("0 run(s) applied", StringComparison.Ordinal));
        Assert.Single(error.Problems, p => p.StartsWith("column public.workflow_runs.tenant_id", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Apply_logs_sql_migrations_and_operation_phases_as_one_list_in_the_order_run()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_runs.sql", "-- stepwise:up\nCREATE TABLE workflow_runs (id bigint PRIMARY KEY);\n")
          .Write("2_note.yaml", "operations:\n  - add_column:\n      table: workflow_runs\n      column: { name: note, type: text, nullable: true }\n").WriteSum();
        using var host = TestHosts.For(ws, StepwiseStartupMode.Apply);

        await host.StartAsync();
        await host.StopAsync();

        var applied = Assert.Single(ws.Log.Entries, e => e.Id == HostingEventIds.Applied);
        Assert.Equal("2 run(s) applied: 1_runs.sql up, 2_note.yaml start (run stepwise complete once every instance runs the new code)", applied.Message);
    }

    [Fact]
    public async Task Apply_refuses_to_start_when_a_migration_fails_naming_the_file_and_line()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_bad.sql", "-- stepwise:up\nCREATE TABLE a (id int);\nALTER TABLE nowhere ADD COLUMN x int;\n").WriteSum();
        using var host = TestHosts.For(ws, StepwiseStartupMode.Apply);

        var error = await Assert.ThrowsAsync<SchemaNotReadyException>(() => host.StartAsync());

        Assert.IsType<MigrationFailedException>(error.InnerException);
        var refused = Assert.Single(ws.Log.Entries, e => e.Id == HostingEventIds.StartupRefused);
        Assert.True(refused.Message.StartsWith($"refusing to start: migration {Path.Combine(ws.Directory, "1_bad.sql")}:3:1 failed: 42P01: relation \"nowhere\" does not exist; the migration was rolled back",
            StringComparison.Ordinal), refused.Message);
        Assert.Null(await ws.ScalarAsync<string>("SELECT to_regclass('a')::text"));
    }

    [Fact]
    public async Task None_neither_applies_nor_checks()
    {
        await using var ws = WriteTwo(await MigrationWorkspace.CreateAsync(fixture));
        using var host = TestHosts.For(ws, StepwiseStartupMode.None);

        await host.StartAsync();
        await host.StopAsync();

        Assert.Null(await ws.ScalarAsync<string>("SELECT to_regclass('stepwise.migrations')::text"));
        Assert.DoesNotContain(ws.Log.Entries, e => e.Id.Id is >= 2000 and < 3000);
    }

    [Fact]
    public async Task Ten_hosts_starting_together_in_Apply_mode_apply_each_migration_once()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        // Not idempotent on purpose: a second run of either would fail or double the row.
        ws.Write("1_counter.sql", "-- stepwise:up\nCREATE TABLE starts (n int);\nINSERT INTO starts VALUES (1);\n")
          .Write("2_more.sql", "-- stepwise:up\nINSERT INTO starts SELECT n + 1 FROM starts;\nSELECT pg_sleep(0.2);\n")
          .Write("3_index.sql", "-- stepwise:up\nCREATE INDEX CONCURRENTLY starts_n ON starts (n);\n").WriteSum();
        var hosts = Enumerable.Range(0, 10).Select(_ => TestHosts.For(ws, StepwiseStartupMode.Apply)).ToList();

        try
        {
            await Task.WhenAll(hosts.Select(h => h.StartAsync()));
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.StopAsync();
                host.Dispose();
            }
        }

        Assert.Equal(2L, await ws.ScalarAsync<long>("SELECT count(*) FROM starts"));
        Assert.Equal("1,2,3", await ws.ScalarAsync<string>("SELECT string_agg(version::text, ',' ORDER BY version) FROM stepwise.events WHERE action = 'applied'"));
        var applied = ws.Log.Entries.Where(e => e.Id == HostingEventIds.Applied).Select(e => e.Message).ToList();
        Assert.Equal(10, applied.Count);
        Assert.Equal(9, applied.Count(m => m.StartsWith("0 run(s) applied", StringComparison.Ordinal)));
        Assert.Equal(10, ws.Log.Entries.Count(e => e.Id == HostingEventIds.SchemaReady));
    }

    [Fact]
    public async Task An_unreachable_database_is_one_refusal_line_without_the_password()
    {
        await using var ws = WriteTwo(await MigrationWorkspace.CreateAsync(fixture));
        using var host = TestHosts.Build(ws.Log, o =>
        {
            o.ConnectionString = "Host=127.0.0.1;Port=1;Username=app;Password=hunter2-secret;Database=orders;Timeout=2";
            o.Directory = ws.Directory;
        });

        await Assert.ThrowsAsync<SchemaNotReadyException>(() => host.StartAsync());

        var refused = Assert.Single(ws.Log.Entries, e => e.Id == HostingEventIds.StartupRefused);
        Assert.StartsWith("refusing to start: cannot read the migration state of Host=127.0.0.1;Port=1;Username=app;Database=orders;Timeout=2: ", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", refused.Message, StringComparison.Ordinal);
    }
}
