using System.Text.Json;
using Stepwise.Cli;
using Stepwise.IntegrationTests.Execution;
using Stepwise.Linting;
using Stepwise.Sql;
using Stepwise.Testing;

namespace Stepwise.IntegrationTests.Linting;

public class LintWithDatabaseTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Table_sizes_come_from_the_catalog_and_small_tables_drop_to_info()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("""
            CREATE TABLE small (a int); INSERT INTO small SELECT g FROM generate_series(1, 100) g;
            CREATE TABLE big (a int); INSERT INTO big SELECT g FROM generate_series(1, 50000) g;
            CREATE TABLE never_analyzed (a int);
            ANALYZE small; ANALYZE big;
            """);

        var sizes = await TableSizes.LoadAsync(ws.ConnectionString);
        ws.Write("1_idx.sql", "-- stepwise:up\nCREATE INDEX small_a ON small (a);\nCREATE INDEX big_a ON big (a);\n");
        var (code, stdout, stderr) = await CliInvocation.RunAsync(["lint", "--dir", ws.Directory, "--format", "json"],
            new Dictionary<string, string> { ["STEPWISE_DATABASE_URL"] = ws.ConnectionString }, ws.Directory);

        Assert.Equal(100, sizes[new RelationName("public", "small")].Rows);
        Assert.Equal(50_000, sizes[new RelationName("public", "big")].Rows);
        Assert.Equal(0, sizes[new RelationName("public", "never_analyzed")].Rows);
        Assert.True(code == 1, stderr);
        using var json = JsonDocument.Parse(stdout);
        var findings = json.RootElement.GetProperty("findings").EnumerateArray().ToDictionary(f => f.GetProperty("line").GetInt32());
        Assert.Equal("info", findings[2].GetProperty("severity").GetString());
        Assert.Contains("small: ~100 rows", findings[2].GetProperty("message").GetString());
        Assert.Equal("error", findings[3].GetProperty("severity").GetString());
        Assert.Contains("big: ~50k rows", findings[3].GetProperty("message").GetString());
        Assert.Contains("an estimate", findings[3].GetProperty("message").GetString());
    }

    [Fact]
    public async Task With_a_database_only_pending_migrations_are_linted()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_applied.sql", "-- stepwise:up\nCREATE TABLE t (a int);\n").WriteSum();
        await ws.Migrator().ApplyAsync(new Stepwise.Execution.ApplyRequest());
        ws.Write("1_applied.sql", "-- stepwise:up\nCREATE TABLE t (a int);\n")
          .Write("2_pending.sql", "-- stepwise:up\nCREATE INDEX t_a ON t (a);\n").WriteSum();
        var (_, stdout, stderr) = await CliInvocation.RunAsync(["lint", "--dir", ws.Directory, "--format", "json"],
            new Dictionary<string, string> { ["STEPWISE_DATABASE_URL"] = ws.ConnectionString }, ws.Directory);

        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(1, json.RootElement.GetProperty("files").GetInt32());
        // Said, so that a directory whose migrations have all run does not read as clean.
        Assert.Contains("1 migration(s) the database has applied were not linted (they ran already)", stderr);
    }
}
