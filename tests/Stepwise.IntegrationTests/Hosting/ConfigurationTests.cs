using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Stepwise.Execution;
using Stepwise.Hosting;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Hosting;

public class ConfigurationTests
{
    private static StepwiseOptions Bind(Dictionary<string, string?> configuration, Action<StepwiseOptions>? configure = null)
    {
        using var host = TestHosts.Build(new ListLogger(), configure, configuration);
        return host.Services.GetRequiredService<IOptions<StepwiseOptions>>().Value;
    }

    [Fact]
    public void Options_are_read_from_the_Stepwise_section_and_code_has_the_last_word()
    {
        var options = Bind(new()
        {
            ["Stepwise:ConnectionString"] = "postgres://app@db/orders",
            ["Stepwise:Directory"] = "db/migrations",
            ["Stepwise:StateSchema"] = "stepwise_orders",
            ["Stepwise:LockTimeout"] = "5s",
            ["Stepwise:MaxLockWait"] = "300ms",
            ["Stepwise:LockDeadline"] = "2min",
            ["Stepwise:CancelAutovacuum"] = "false",
            ["Stepwise:TerminateIdleInTransactionAfter"] = "10min",
            ["Stepwise:Mode"] = "apply",
            ["Stepwise:Require:workflow_runs:0"] = "id",
            ["Stepwise:Require:workflow_runs:1"] = "organization_id",
            ["Stepwise:Require:billing.invoices"] = "id, total",
            ["Stepwise:MigrationsAssembly"] = "Stepwise.IntegrationTests",
        }, o => o.StateSchema = "from_code");

        Assert.Equal("postgres://app@db/orders", options.ConnectionString);
        Assert.Equal("db/migrations", options.Directory);
        Assert.Equal("from_code", options.StateSchema);
        Assert.Equal(TimeSpan.FromSeconds(5), options.LockTimeout);
        Assert.Equal(StepwiseStartupMode.Apply, options.Mode);
        Assert.Equal((TimeSpan.FromMilliseconds(300), TimeSpan.FromMinutes(2), false, TimeSpan.FromMinutes(10)),
            (options.MaxLockWait, options.LockDeadline, options.CancelAutovacuum, options.TerminateIdleInTransactionAfter));
        Assert.Equal(typeof(ConfigurationTests).Assembly, options.MigrationsAssembly);
        Assert.Equal([("billing.invoices", "id,total"), ("workflow_runs", "id,organization_id")],
            options.RequiredTables.Select(t => (t.Table, string.Join(',', t.Columns))).OrderBy(t => t.Item1, StringComparer.Ordinal));
    }

    [Fact]
    public void Backfill_throttles_are_read_from_the_Backfill_section()
    {
        var options = Bind(new()
        {
            ["Stepwise:Backfill:BatchTime"] = "100ms", ["Stepwise:Backfill:Pause"] = "1s", ["Stepwise:Backfill:MaxRowsPerSecond"] = "5000",
            ["Stepwise:Backfill:MaxReplicationLag"] = "10s", ["Stepwise:Backfill:WaitWhileVacuumed"] = "true", ["Stepwise:Backfill:MaxWalBytesPerSecond"] = "20000000",
            ["Stepwise:Backfill:MaxSnapshotAge"] = "5min", ["Stepwise:Backfill:LatencyQuery"] = "SELECT p99_ms FROM app_metrics", ["Stepwise:Backfill:MaxLatency"] = "80ms",
            ["Stepwise:Backfill:VacuumAsItGoes"] = "false",
        });

        var b = options.Backfill;
        Assert.Equal((TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), 5000, TimeSpan.FromSeconds(10), true, 20_000_000L, TimeSpan.FromMinutes(5)),
            (b.TargetBatchDuration, b.Pause, b.MaxRowsPerSecond, b.MaxReplicationLag, b.WaitWhileVacuumed, b.MaxWalBytesPerSecond, b.MaxSnapshotAge));
        Assert.Equal(("SELECT p99_ms FROM app_metrics", TimeSpan.FromMilliseconds(80), false), (b.ClientLatencyQuery, b.TargetClientLatency, b.VacuumAsItGoes));
        Assert.True(Bind([]).Backfill.VacuumAsItGoes);
    }

    [Fact]
    public void Defaults_without_configuration()
    {
        var options = Bind([]);

        Assert.Equal((null, "migrations", "stepwise", TimeSpan.FromSeconds(2), StepwiseStartupMode.RequireUpToDate),
            (options.ConnectionString, options.Directory, options.StateSchema, options.LockTimeout, options.Mode));
        Assert.Empty(options.RequiredTables);
    }

    [Theory]
    [InlineData("Stepwise:Mode", "ApplyAll", "Stepwise:Mode is 'ApplyAll'; it must be one of: RequireUpToDate, Apply, None")]
    [InlineData("Stepwise:LockTimeout", "soon", "Stepwise:LockTimeout is 'soon'; write a duration such as 5s, 250ms, 1min or 00:00:05")]
    [InlineData("Stepwise:CancelAutovacuum", "sometimes", "Stepwise:CancelAutovacuum is 'sometimes'; write true or false")]
    [InlineData("Stepwise:Backfill:MaxRowsPerSecond", "fast", "Stepwise:Backfill:MaxRowsPerSecond is 'fast'; write a whole number above 0")]
    [InlineData("Stepwise:Backfill:WaitWhileVacuumed", "maybe", "Stepwise:Backfill:WaitWhileVacuumed is 'maybe'; write true or false")]
    [InlineData("Stepwise:Backfill:VacuumAsItGoes", "often", "Stepwise:Backfill:VacuumAsItGoes is 'often'; write true or false")]
    [InlineData("Stepwise:MigrationsAssembly", "No.Such.Assembly", "Stepwise:MigrationsAssembly is 'No.Such.Assembly', but no assembly of that name can be loaded")]
    public void A_bad_value_names_its_key_and_what_is_accepted(string key, string value, string message)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bind(new() { [key] = value }));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_host_refuses_to_start_on_a_bad_value()
    {
        using var host = TestHosts.Build(new ListLogger(), configuration: new Dictionary<string, string?> { ["Stepwise:Mode"] = "sometimes" });

        await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
    }
}
