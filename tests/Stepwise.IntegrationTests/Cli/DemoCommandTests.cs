using System.Text.Json;
using Stepwise.Cli;
using Stepwise.Testing;

namespace Stepwise.IntegrationTests.Cli;

public class DemoCommandTests
{
    [Fact]
    public async Task Demo_runs_the_reference_migration_under_traffic_without_a_failed_client_and_beside_the_naive_one()
    {
        var (code, stdout, stderr) = await CliInvocation.RunAsync(["demo", "--runs", "20000", "--format", "json"], new Dictionary<string, string>(), Directory.GetCurrentDirectory());

        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        var stepwise = root.GetProperty("stepwise");
        Assert.Equal(0, stepwise.GetProperty("during").GetProperty("failed").GetInt32());
        Assert.True(stepwise.GetProperty("during").GetProperty("writes").GetInt64() > 0, "the old writer kept writing during start");
        Assert.True(stepwise.GetProperty("rowsBackfilled").GetInt64() >= 20_000);
        Assert.Equal(0, root.GetProperty("rowsWithoutOrganization").GetInt64());
        Assert.All(root.GetProperty("status").EnumerateArray(), s => Assert.Equal("applied", s.GetProperty("state").GetString()));
        var naive = root.GetProperty("naive");
        Assert.True(naive.GetProperty("during").GetProperty("failed").GetInt32() > 0, "old-version inserts fail after the naive migration");
        var log = stderr.ToString();
        Assert.Contains("PostgreSQL ready on 127.0.0.1:", log);
        Assert.Contains("started 2_add_organization_to_runs.yaml", log);
        Assert.Contains("completed 2_add_organization_to_runs.yaml", log);
    }
}
