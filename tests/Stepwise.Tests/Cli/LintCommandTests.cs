using System.Text.Json;

namespace Stepwise.Tests.Cli;

public class LintCommandTests
{
    [Fact]
    public async Task Lints_the_migration_directory_by_default_and_exits_1_on_errors()
    {
        using var cli = new CliRunner();
        cli.Write("migrations/1_a.sql", "-- stepwise:up\nCREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);\n");
        cli.Write("migrations/2_b.sql", "-- stepwise:up\nCREATE INDEX t_a2 ON t (a);\n");

        var (code, output, _) = await cli.Run("lint", "--format", "json");

        Assert.Equal(1, code);
        using var json = JsonDocument.Parse(output);
        var finding = Assert.Single(json.RootElement.GetProperty("findings").EnumerateArray());
        Assert.Equal("require-concurrent-index-creation", finding.GetProperty("rule").GetString());
        Assert.EndsWith("2_b.sql", finding.GetProperty("file").GetString());
    }

    [Fact]
    public async Task Configuration_sets_severities_and_excludes_paths()
    {
        using var cli = new CliRunner();
        cli.Write("stepwise.json", """{ "lint": { "rules": { "require-concurrent-index-creation": "warning" }, "exclude": ["legacy/**"] } }""");
        var file = cli.Write("a.sql", "CREATE INDEX i ON t (a);");
        cli.Write("legacy/old.sql", "CREATE INDEX j ON t (a);");

        var (code, output, _) = await cli.Run("lint", "a.sql", "legacy/old.sql", "--format", "json");

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        var finding = Assert.Single(json.RootElement.GetProperty("findings").EnumerateArray());
        Assert.Equal("warning", finding.GetProperty("severity").GetString());
        Assert.Equal("a.sql", finding.GetProperty("file").GetString());
    }

    [Fact]
    public async Task An_unknown_rule_in_configuration_is_bad_input()
    {
        using var cli = new CliRunner();
        cli.Write("stepwise.json", "{\n  \"lint\": {\n    \"rules\": { \"no-such-rule\": \"off\" }\n  }\n}");
        cli.Write("a.sql", "SELECT 1;");

        var (code, _, error) = await cli.Run("lint", "a.sql");

        Assert.Equal(2, code);
        Assert.Contains("stepwise.json:3:16: unknown rule \"no-such-rule\"", error);
    }

    [Fact]
    public async Task Binary_and_non_utf8_files_are_clear_errors_and_other_files_are_still_linted()
    {
        using var cli = new CliRunner();
        File.WriteAllBytes(Path.Combine(cli.WorkingDirectory, "bin.sql"), [0x50, 0x4B, 0x03, 0x04, 0x00, 0x00]);
        File.WriteAllBytes(Path.Combine(cli.WorkingDirectory, "latin1.sql"), [.. "SELECT 'caf"u8.ToArray(), 0xE9, .. "';"u8.ToArray()]);
        cli.Write("ok.sql", "CREATE INDEX i ON t (a);");

        var (code, output, _) = await cli.Run("lint", "bin.sql", "latin1.sql", "ok.sql", "--format", "json");

        Assert.Equal(1, code);
        using var json = JsonDocument.Parse(output);
        var messages = json.RootElement.GetProperty("findings").EnumerateArray().Select(f => (f.GetProperty("rule").GetString(), f.GetProperty("message").GetString())).ToList();
        Assert.Contains(messages, m => m.Item1 == "unreadable-file" && m.Item2!.Contains("binary file"));
        Assert.Contains(messages, m => m.Item1 == "unreadable-file" && m.Item2!.Contains("not UTF-8 (byte 0xE9 at offset 11)"));
        Assert.Contains(messages, m => m.Item1 == "require-concurrent-index-creation");
    }

    [Fact]
    public async Task Lint_speaks_every_ci_format_and_other_commands_refuse_them()
    {
        using var cli = new CliRunner();
        cli.Write("a.sql", "CREATE INDEX i ON t (a);");

        var github = await cli.Run("lint", "a.sql", "--format", "github");
        var sarif = await cli.Run("lint", "a.sql", "--format", "sarif");
        var refused = await cli.Run("parse", "a.sql", "--format", "sarif");

        Assert.StartsWith("::error file=a.sql,line=1,", github.Out);
        Assert.Equal("2.1.0", JsonDocument.Parse(sarif.Out).RootElement.GetProperty("version").GetString());
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--format sarif is not available for this command", refused.Error);
    }

    [Fact]
    public async Task Lints_ef_core_idempotent_scripts_inside_their_do_blocks()
    {
        using var cli = new CliRunner();
        cli.Write("ef.sql", """
            START TRANSACTION;
            DO $EF$
            BEGIN
                IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20240101_AddIndex') THEN
                CREATE INDEX "IX_Blogs_Url" ON "Blogs" ("Url");
                END IF;
            END $EF$;
            COMMIT;
            """);

        var (code, output, _) = await cli.Run("lint", "ef.sql", "--format", "json");

        Assert.Equal(1, code);
        using var json = JsonDocument.Parse(output);
        var finding = json.RootElement.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("rule").GetString() == "require-concurrent-index-creation");
        Assert.Equal(5, finding.GetProperty("line").GetInt32());
        Assert.Contains("Blogs", finding.GetProperty("message").GetString());
    }

    [Fact]
    public async Task List_rules_prints_every_rule()
    {
        using var cli = new CliRunner();

        var (code, output, _) = await cli.Run("lint", "--list-rules");

        Assert.Equal(0, code);
        Assert.Contains("require-concurrent-index-creation", output);
        Assert.Contains("concurrent-in-transaction", output);
    }
}
