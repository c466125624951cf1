using Stepwise.Execution;

namespace Stepwise.IntegrationTests.Execution;

public class SchemaCheckTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static readonly RequiredTable[] s_needs = [new("workflow_runs", ["id", "organization_id"])];

    [Fact]
    public async Task Says_exactly_what_is_missing_before_apply_and_is_ready_after()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_runs.sql", "-- stepwise:up\nCREATE TABLE workflow_runs (id bigint PRIMARY KEY);\n")
          .Write("2_org.sql", "-- stepwise:up\nALTER TABLE workflow_runs ADD COLUMN organization_id uuid;\n").WriteSum();

        var empty = await SchemaCheck.CheckAsync(ws.ConnectionString, ws.Directory, s_needs);
        var createdByCheck = await ws.ScalarAsync<string>("SELECT to_regclass('stepwise.state')::text");
        await ws.Migrator().ApplyAsync(new ApplyRequest { ToVersion = 1 });
        var half = await SchemaCheck.CheckAsync(ws.ConnectionString, ws.Directory, s_needs);
        await ws.Migrator().ApplyAsync(new ApplyRequest());
        var ready = await SchemaCheck.CheckAsync(ws.ConnectionString, ws.Directory, s_needs);

        Assert.False(empty.Ready);
        Assert.Contains("migration 1_runs.sql is pending: run stepwise apply", empty.Problems);
        Assert.Contains(empty.Problems, p => p.StartsWith("column public.workflow_runs.id, which the application needs, does not exist", StringComparison.Ordinal));
        Assert.Equal(
        [
            "migration 2_org.sql is pending: run stepwise apply",
            "column public.workflow_runs.organization_id, which the application needs, does not exist: run stepwise apply (or add a migration that creates it)",
        ], half.Problems);
        Assert.True(ready.Ready, string.Join("\n", ready.Problems));
        Assert.Null(createdByCheck); // the check only reads
    }

    [Fact]
    public async Task An_edited_applied_migration_makes_the_database_not_ready()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_runs.sql", "-- stepwise:up\nCREATE TABLE workflow_runs (id bigint PRIMARY KEY);\n").WriteSum();
        await ws.Migrator().ApplyAsync(new ApplyRequest());
        ws.Write("1_runs.sql", "-- stepwise:up\nCREATE TABLE workflow_runs (id bigint PRIMARY KEY, x int);\n").WriteSum();

        var result = await SchemaCheck.CheckAsync(ws.ConnectionString, ws.Directory);

        Assert.Equal(["migration 1_runs.sql was changed after it was applied: undo the edit, or stepwise repair --yes"], result.Problems);
    }

    [Fact]
    public async Task A_database_a_newer_release_migrated_is_ready_for_the_older_release_but_a_gap_is_not()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_runs.sql", "-- stepwise:up\nCREATE TABLE workflow_runs (id bigint PRIMARY KEY);\n")
          .Write("2_org.sql", "-- stepwise:up\nALTER TABLE workflow_runs ADD COLUMN organization_id uuid;\n")
          .Write("R_views.sql", "CREATE OR REPLACE VIEW runs AS SELECT id FROM workflow_runs;\n").WriteSum();
        await ws.Migrator().ApplyAsync(new ApplyRequest());
        // The release before: it knows only the first migration (and no view); the second is the newer release's.
        File.Delete(Path.Combine(ws.Directory, "2_org.sql"));
        File.Delete(Path.Combine(ws.Directory, "R_views.sql"));
        ws.WriteSum();
        var older = await SchemaCheck.CheckAsync(ws.ConnectionString, ws.Directory, [new RequiredTable("workflow_runs", ["id"])]);
        // A release whose directory has a hole where history has a migration is not the older release: something is off.
        ws.Write("3_later.sql", "-- stepwise:up\nSELECT 1;\n").WriteSum();
        var gap = await SchemaCheck.CheckAsync(ws.ConnectionString, ws.Directory);

        Assert.True(older.Ready, string.Join("\n", older.Problems));
        Assert.Equal(["2_org.sql", "R_views.sql"], older.Ahead);
        Assert.Equal(
        [
            "migration 2_org.sql is in history but its file is missing: restore it, or stepwise repair --yes",
            "migration 3_later.sql is pending: run stepwise apply",
        ], gap.Problems);
    }
}
