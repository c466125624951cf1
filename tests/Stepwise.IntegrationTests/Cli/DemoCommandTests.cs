using System.Text.Json;
using Stepwise.Cli;

namespace Stepwise.IntegrationTests.Cli;

public class DemoCommandTests
{
    [Fact]
    public async Task Demo_applies_the_safe_recipe_with_the_real_engine_and_reports_it()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var env = new CliEnvironment(stdout, stderr, _ => null, Directory.GetCurrentDirectory());

        var code = await StepwiseCli.RunAsync(["demo", "--format", "json"], env);

        Assert.True(code == 0, stderr.ToString());
        using var json = JsonDocument.Parse(stdout.ToString());
        var migrations = json.RootElement.GetProperty("migrations").EnumerateArray().ToList();
        Assert.Equal(["single", "single", "per-statement"], migrations.Select(m => m.GetProperty("transaction").GetString()));
        Assert.All(json.RootElement.GetProperty("status").EnumerateArray(), s => Assert.Equal("applied", s.GetProperty("state").GetString()));
        var runs = json.RootElement.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "workflow_runs");
        Assert.Equal(100_000, runs.GetProperty("rows").GetInt64());
        Assert.Equal(2, runs.GetProperty("validIndexes").GetInt64());
        Assert.Equal(2, runs.GetProperty("validatedForeignKeys").GetInt64());
        var log = stderr.ToString();
        Assert.Contains("PostgreSQL ready on 127.0.0.1:", log);
        Assert.Contains("waited lock_timeout (500 ms)", log);
        Assert.Contains("application 'nightly-report'", log);
    }
}
