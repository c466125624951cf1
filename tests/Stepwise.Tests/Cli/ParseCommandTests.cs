using System.Text.Json;

namespace Stepwise.Tests.Cli;

public class ParseCommandTests
{
    [Fact]
    public async Task Parse_lists_each_statement_with_lines_and_kind()
    {
        using var cli = new CliRunner();
        var file = cli.Write("m.sql", "CREATE TABLE t (id bigint);\n\nCREATE INDEX CONCURRENTLY t_idx\n  ON t (id);\n");

        var (code, output, _) = await cli.Run("parse", file, "--no-color");

        Assert.Equal(0, code);
        Assert.Contains("2 statement(s)", output);
        Assert.Matches(@"1\s*│\s*1\s*│\s*CREATE TABLE", output);
        Assert.Matches(@"2\s*│\s*3-4\s*│\s*CREATE INDEX", output);
    }

    [Fact]
    public async Task Parse_json_gives_spans_kinds_and_errors()
    {
        using var cli = new CliRunner();
        var file = cli.Write("bad.sql", "SELECT 1;\nSELEC 2;\n\\connect x\n");

        var (code, output, _) = await cli.Run("parse", file, "--format", "json");

        Assert.Equal(2, code);
        using var json = JsonDocument.Parse(output);
        var report = json.RootElement.GetProperty("files")[0];
        var statements = report.GetProperty("statements");
        Assert.Equal(3, statements.GetArrayLength());
        Assert.Equal("sql", statements[0].GetProperty("kind").GetString());
        Assert.Equal("invalid", statements[1].GetProperty("kind").GetString());
        Assert.Equal("metacommand", statements[2].GetProperty("kind").GetString());
        Assert.Equal(2, statements[1].GetProperty("startLine").GetInt32());
        var errors = report.GetProperty("errors");
        Assert.Equal(2, errors.GetArrayLength());
        Assert.Equal((2, 1), (errors[0].GetProperty("line").GetInt32(), errors[0].GetProperty("column").GetInt32()));
        Assert.Contains("syntax error", errors[0].GetProperty("message").GetString());
    }

    [Fact]
    public async Task Syntax_error_prints_file_line_column_and_caret_and_exits_2()
    {
        using var cli = new CliRunner();
        var file = cli.Write("bad.sql", "CREATE TABLE t (id bigint);\nALTER TABLE t ADD COLUMN x int NOT NUL;\n");

        var (code, _, error) = await cli.Run("parse", file, "--no-color");

        Assert.Equal(2, code);
        Assert.Contains($"{file}:2:", error);
        Assert.Contains("syntax error at or near \"NUL\"", error);
        Assert.Contains("ALTER TABLE t ADD COLUMN x int NOT NUL;", error);
        Assert.Contains("^", error);
    }

    [Fact]
    public async Task Plpgsql_option_shows_statements_inside_do_blocks()
    {
        using var cli = new CliRunner();
        var file = cli.Write("ef.sql", "DO $EF$\nBEGIN\n  CREATE TABLE blogs (id int);\nEND $EF$;\n");

        var (code, output, _) = await cli.Run("parse", file, "--plpgsql", "--format", "json");

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        var inner = json.RootElement.GetProperty("files")[0].GetProperty("statements")[0].GetProperty("embedded")[0];
        Assert.Equal("CREATE TABLE", inner.GetProperty("tag").GetString());
        Assert.Equal(3, inner.GetProperty("line").GetInt32());
    }

    [Fact]
    public async Task Missing_file_is_bad_input()
    {
        using var cli = new CliRunner();

        var (code, _, error) = await cli.Run("parse", "nope.sql");

        Assert.Equal(2, code);
        Assert.Contains("nope.sql: no such file", error);
    }
}
