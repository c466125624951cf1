using System.Text.Json;
using Stepwise.Tests.Cli;

namespace Stepwise.Tests.Import;

public class ImportCommandTests
{
    [Fact]
    public async Task Import_writes_into_the_migrations_directory_and_lists_what_it_converted()
    {
        using var cli = new CliRunner();
        var script = EfScriptImportTests.Fixture("plain.sql");

        var (code, output, error) = await cli.Run("import", "ef", script, "--no-color");
        var validate = await cli.Run("validate", "--no-color");
        var again = await cli.Run("import", "ef", script, "--no-color");
        var json = await cli.Run("import", "ef", script, "--out", "other", "--format", "json");

        Assert.Equal(0, code);
        Assert.Contains("converted migration 20240101120000_Init (plain.sql:8) → 20240101120000_Init.sql", output);
        Assert.Contains("wrote 3 migration(s) and stepwise.sum to " + Path.Combine(cli.WorkingDirectory, "migrations"), output);
        Assert.Contains("no down sections", error);
        Assert.Contains("stepwise baseline --from-ef", error);
        Assert.Equal(0, validate.ExitCode);
        Assert.Contains("valid: 3 versioned and 0 repeatable migration(s): 0 error(s)", validate.Out);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("20240101120000_Init.sql: error: the file exists and would be replaced", again.Error);
        Assert.Contains("--force", again.Error);
        Assert.Equal(0, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Out);
        Assert.Equal(3, doc.RootElement.GetProperty("converted").GetArrayLength());
        Assert.True(File.Exists(Path.Combine(cli.WorkingDirectory, "other", "stepwise.sum")));
    }

    [Fact]
    public async Task Sql_migrate_and_tern_imports_list_the_id_each_tool_records_and_a_template_is_refused_with_exit_2()
    {
        using var cli = new CliRunner();
        cli.Write("tern-bad/001_a.sql", "create table a (id int);\n{{ template \"shared/x.sql\" . }}\n");

        var sqlMigrate = await cli.Run("import", "sql-migrate", SqlMigrateImportTests.Fixture, "--out", "a", "--format", "json");
        var tern = await cli.Run("import", "tern", TernImportTests.Fixture, "--out", "b", "--format", "json");
        var template = await cli.Run("import", "tern", "tern-bad", "--out", "c", "--no-color");

        Assert.Equal(0, sqlMigrate.ExitCode);
        using (var doc = JsonDocument.Parse(sqlMigrate.Out))
        {
            var second = doc.RootElement.GetProperty("converted")[3];
            Assert.Equal("20240103080001_ledger-2.sql", second.GetProperty("file").GetString());
            Assert.Equal("20240103080000-ledger-2.sql", second.GetProperty("id").GetString()); // gorp_migrations.id
            Assert.Contains(doc.RootElement.GetProperty("notConverted").EnumerateArray(), p => p.GetProperty("message").GetString()!.StartsWith("became Stepwise version 20240103080001", StringComparison.Ordinal));
        }
        Assert.Equal(0, tern.ExitCode);
        using (var doc = JsonDocument.Parse(tern.Out))
        {
            Assert.Equal(["1", "2", "3", "4"], doc.RootElement.GetProperty("converted").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        }
        Assert.Equal(2, template.ExitCode);
        Assert.Contains("001_a.sql:2:1: error: {{ template \"shared/x.sql\" . }}: {{ ... }} is a template placeholder, not SQL", template.Error);
        Assert.False(Directory.Exists(Path.Combine(cli.WorkingDirectory, "c")));
    }

    [Fact]
    public async Task Bad_input_exits_2_naming_the_file()
    {
        using var cli = new CliRunner();
        cli.Write("dbmate/1_a.sql", "CREATE TABLE a (id int);\n");

        var (code, _, error) = await cli.Run("import", "dbmate", "dbmate", "--no-color");
        var unknown = await cli.Run("import", "liquibase", "dbmate");

        Assert.Equal(2, code);
        Assert.Contains("1_a.sql:1:1: error: the file has no -- migrate:up marker", error);
        Assert.False(Directory.Exists(Path.Combine(cli.WorkingDirectory, "migrations")));
        Assert.Equal(2, unknown.ExitCode);
    }

    [Fact]
    public async Task A_thousand_problems_of_one_kind_show_the_first_ten_and_a_count_and_json_keeps_them_all()
    {
        using var cli = new CliRunner();
        // As gobuffalo pop writes versions: 20 digits, beyond a 64-bit version.
        for (var i = 0; i < 25; i++)
        {
            cli.Write($"pop/2019010000000{i:D2}00000_step.up.sql", "SELECT 1;\n");
        }

        var text = await cli.Run("import", "golang-migrate", "pop", "--no-color");
        var json = await cli.Run("import", "golang-migrate", "pop", "--format", "json");

        Assert.Equal(2, text.ExitCode);
        Assert.Equal(10, text.Error.Split('\n').Count(l => l.Contains(": error: version '", StringComparison.Ordinal)));
        Assert.Contains("... and 15 more bad-version problem(s) like those above (--format json lists every one)", text.Error);
        using var doc = JsonDocument.Parse(json.Out);
        Assert.Equal(25, doc.RootElement.GetProperty("problems").GetArrayLength());
    }

    [Theory]
    [InlineData("baseline")]
    [InlineData("baseline", "5", "--from", "flyway")]
    [InlineData("baseline", "--from-ef", "--from", "dbmate")]
    [InlineData("baseline", "--from", "liquibase")]
    public async Task Baseline_takes_a_version_or_a_tool_but_not_both(params string[] args)
    {
        using var cli = new CliRunner();

        var (code, _, error) = await cli.Run([.. args, "--no-color"]);

        Assert.Equal(2, code);
        Assert.NotEmpty(error);
    }
}
