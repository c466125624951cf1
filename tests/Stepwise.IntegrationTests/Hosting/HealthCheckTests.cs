using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Stepwise.Execution;
using Stepwise.Hosting;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Hosting;

public class HealthCheckTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static async Task<HealthReportEntry> CheckAsync(MigrationWorkspace ws, Action<StepwiseOptions>? configure = null)
    {
        using var host = TestHosts.For(ws, StepwiseStartupMode.None, configure);
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Tags.Contains("ready"));
        return Assert.Single(report.Entries, e => e.Key == "stepwise").Value;
    }

    [Fact]
    public async Task Unhealthy_while_a_migration_is_pending_then_healthy_once_applied()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_runs.sql", "-- stepwise:up\nCREATE TABLE workflow_runs (id bigint PRIMARY KEY);\n")
          .Write("2_org.sql", "-- stepwise:up\nALTER TABLE workflow_runs ADD COLUMN organization_id uuid;\n").WriteSum();
        await ws.Migrator().ApplyAsync(new ApplyRequest { ToVersion = 1 });

        var pending = await CheckAsync(ws);
        await ws.Migrator().ApplyAsync(new ApplyRequest());
        var applied = await CheckAsync(ws, o => o.Require("workflow_runs", "organization_id"));

        Assert.Equal(HealthStatus.Unhealthy, pending.Status);
        Assert.Equal("migration 2_org.sql is pending: run stepwise apply", pending.Description);
        Assert.Equal(["2_org.sql"], (string[])pending.Data["pending"]);
        Assert.Equal(1L, pending.Data["version"]);
        Assert.Contains("ready", pending.Tags);
        Assert.Equal(HealthStatus.Healthy, applied.Status);
        Assert.Equal("up to date (version 2)", applied.Description);
        Assert.Empty((string[])applied.Data["problems"]);
    }

    [Fact]
    public async Task Unhealthy_on_a_failed_or_modified_migration_or_a_missing_column_with_every_problem_in_the_data()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_runs.sql", "-- stepwise:up\nCREATE TABLE workflow_runs (id bigint PRIMARY KEY);\n")
          .Write("2_bad.sql", "-- stepwise:up\nALTER TABLE nowhere ADD COLUMN x int;\n").WriteSum();
        await Assert.ThrowsAsync<MigrationFailedException>(() => ws.Migrator().ApplyAsync(new ApplyRequest()));
        var failed = await CheckAsync(ws);
        ws.Write("1_runs.sql", "-- stepwise:up\nCREATE TABLE workflow_runs (id bigint PRIMARY KEY, x int);\n").WriteSum();

        var modified = await CheckAsync(ws, o => o.Require("workflow_runs", "organization_id"));

        Assert.Equal(HealthStatus.Unhealthy, failed.Status);
        Assert.StartsWith("migration 2_bad.sql failed (42P01", failed.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Unhealthy, modified.Status);
        Assert.Equal("migration 1_runs.sql was changed after it was applied: undo the edit, or stepwise repair --yes (and 2 more)", modified.Description);
        var problems = (string[])modified.Data["problems"];
        Assert.Equal(3, problems.Length);
        Assert.StartsWith("column public.workflow_runs.organization_id", problems[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Healthy_when_a_newer_release_has_migrated_further_during_a_rolling_deploy()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_runs.sql", "-- stepwise:up\nCREATE TABLE workflow_runs (id bigint PRIMARY KEY);\n")
          .Write("2_org.sql", "-- stepwise:up\nALTER TABLE workflow_runs ADD COLUMN organization_id uuid;\n").WriteSum();
        await ws.Migrator().ApplyAsync(new ApplyRequest());
        File.Delete(Path.Combine(ws.Directory, "2_org.sql"));
        ws.WriteSum();

        var older = await CheckAsync(ws);

        Assert.Equal(HealthStatus.Healthy, older.Status);
        Assert.Equal(["2_org.sql"], (string[])older.Data["ahead"]);
    }

    [Fact]
    public async Task The_failure_status_is_reported_when_the_database_cannot_be_read_without_leaking_the_password()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_runs.sql", "-- stepwise:up\nSELECT 1;\n").WriteSum();
        using var host = TestHosts.Build(ws.Log, o =>
        {
            o.ConnectionString = "Host=127.0.0.1;Port=1;Username=app;Password=hunter2-secret;Database=nothing;Timeout=2";
            o.Directory = ws.Directory;
            o.Mode = StepwiseStartupMode.None;
        }, services: s => s.AddHealthChecks().AddStepwiseHealthCheck("stepwise-degraded", HealthStatus.Degraded, ["startup"]));

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = report.Entries["stepwise"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.StartsWith("cannot read the migration state: ", entry.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Degraded, report.Entries["stepwise-degraded"].Status);
        Assert.Equal(["startup"], report.Entries["stepwise-degraded"].Tags);
        Assert.DoesNotContain("hunter2-secret", string.Join("\n", report.Entries.Values.Select(e => e.Description + e.Exception)), StringComparison.Ordinal);
    }
}
