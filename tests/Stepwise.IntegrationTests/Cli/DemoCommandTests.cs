using System.Text.Json;
using Stepwise.Cli;

namespace Stepwise.IntegrationTests.Cli;

public class DemoCommandTests
{
    [Fact]
    public async Task Demo_runs_the_safe_recipe_on_a_throwaway_server_and_reports_it()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var env = new CliEnvironment(stdout, stderr, _ => null, Directory.GetCurrentDirectory());

        var code = await StepwiseCli.RunAsync(["demo", "--format", "json"], env);

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(stdout.ToString());
        var statements = json.RootElement.GetProperty("statements").EnumerateArray().ToList();
        Assert.Equal(11, statements.Count);
        var index = statements.Single(s => s.GetProperty("kind").GetString() == "CREATE INDEX");
        Assert.True(index.GetProperty("outsideTransaction").GetBoolean());
        var runs = json.RootElement.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "workflow_runs");
        Assert.Equal(100_000, runs.GetProperty("rows").GetInt64());
        Assert.Equal(2, runs.GetProperty("validIndexes").GetInt64());
        Assert.Equal(2, runs.GetProperty("validatedForeignKeys").GetInt64());
        Assert.Contains("PostgreSQL ready on 127.0.0.1:", stderr.ToString());
    }
}
