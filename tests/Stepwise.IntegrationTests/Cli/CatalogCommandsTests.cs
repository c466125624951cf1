using System.Text.Json;
using Stepwise.Cli;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Cli;

public class CatalogCommandsTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static Task<(int Code, string Out, string Error)> Run(MigrationWorkspace ws, params string[] args) => ws.RunCliAsync(args);

    private static MigrationWorkspace Migrations(MigrationWorkspace ws) => ws
        .Write("1_runs.sql", "-- stepwise:up\nCREATE TABLE workflow_runs (id bigint PRIMARY KEY, organization_id uuid);\n")
        .Write("2_index.sql", "-- stepwise:up\nCREATE INDEX CONCURRENTLY runs_org_idx ON workflow_runs (organization_id);\n")
        .WriteSum();

    [Fact]
    public async Task Drift_lists_changes_made_by_hand_and_nothing_otherwise()
    {
        await using var ws = Migrations(await MigrationWorkspace.CreateAsync(fixture));
        await ws.Migrator().ApplyAsync(new Stepwise.Execution.ApplyRequest());

        var clean = await Run(ws, "drift");
        await ws.ExecuteAsync("ALTER TABLE workflow_runs ALTER COLUMN organization_id SET NOT NULL; DROP INDEX runs_org_idx; CREATE TABLE hotfix (a int);");
        var drifted = await Run(ws, "drift");

        Assert.True(clean.Code == 0, clean.Error);
        Assert.Contains("no drift: the database matches its migrations up to version 2", clean.Out);
        Assert.Equal(1, drifted.Code);
        Assert.Contains("changed column public.workflow_runs.organization_id: nullable → not null", drifted.Out);
        Assert.Contains("removed index public.runs_org_idx", drifted.Out);
        Assert.Contains("added table public.hotfix", drifted.Out);
    }

    [Fact]
    public async Task Diff_compares_a_directory_a_database_and_a_saved_model()
    {
        await using var ws = Migrations(await MigrationWorkspace.CreateAsync(fixture));
        await ws.Migrator().ApplyAsync(new Stepwise.Execution.ApplyRequest { ToVersion = 1 });

        var inspect = await Run(ws, "inspect", "--format", "json");
        var saved = Path.Combine(Path.GetTempPath(), $"stepwise-model-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(saved, inspect.Out);
        try
        {
            var dirVsDb = await Run(ws, "diff", ws.Directory, ws.ConnectionString, "--format", "json");
            var dbVsSaved = await Run(ws, "diff", ws.ConnectionString, saved);

            Assert.Equal(0, inspect.Code);
            Assert.Equal("workflow_runs", JsonDocument.Parse(inspect.Out).RootElement.GetProperty("tables")[0].GetProperty("name").GetString());
            Assert.Equal(1, dirVsDb.Code);
            var difference = Assert.Single(JsonDocument.Parse(dirVsDb.Out).RootElement.GetProperty("differences").EnumerateArray());
            Assert.Equal(("removed", "index", "public.runs_org_idx"), (difference.GetProperty("kind").GetString(), difference.GetProperty("type").GetString(), difference.GetProperty("name").GetString()));
            Assert.Equal(0, dbVsSaved.Code);
            Assert.Contains("the schemas are the same", dbVsSaved.Out);
        }
        finally
        {
            File.Delete(saved);
        }
    }

    [Fact]
    public async Task Diff_of_something_that_is_not_a_schema_is_bad_input()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);

        var (code, _, error) = await Run(ws, "diff", "no-such-thing", ws.ConnectionString);

        Assert.Equal(2, code);
        Assert.Contains("no-such-thing: neither a directory, a file, nor a database URL", error);
    }
}
