using System.Diagnostics;
using System.Text;
using Stepwise.Linting;
using Stepwise.Linting.Reporters;
using Stepwise.Sql;
using Stepwise.Tests.Cli;

namespace Stepwise.Tests.Hostile;

/// <summary>Unusual text in files: nothing crashes, output stays proportional to the input, nothing unprintable is echoed raw.</summary>
public class OutputBoundsTests
{
    [Fact]
    public void Excerpt_of_a_long_line_is_a_window_around_the_column_with_the_caret_under_it()
    {
        var line = new string('a', 50_000) + "XYZ" + new string('b', 50_000);

        var excerpt = SourceExcerpt.Of(line, 50_001);

        Assert.True(excerpt.Text.Length <= SourceExcerpt.MaxWidth + 2, $"{excerpt.Text.Length} characters shown");
        Assert.StartsWith("…", excerpt.Text);
        Assert.EndsWith("…", excerpt.Text);
        Assert.Equal("XYZ", excerpt.Text.Substring(excerpt.Caret.Length - 1, 3));
    }

    [Fact]
    public void Excerpt_escapes_control_characters_and_noncharacters_and_keeps_the_caret_aligned()
    {
        var excerpt = SourceExcerpt.Of("a\0b\u001b[31mc\uFFFFd e", 13);

        Assert.Equal("a\\0b\\x1b[31mc\\uFFFFd e", excerpt.Text);
        Assert.Equal('e', excerpt.Text[excerpt.Caret.Length - 1]);
    }

    [Fact]
    public void Printable_leaves_ordinary_text_alone_and_escapes_what_a_terminal_would_interpret()
    {
        const string ordinary = "SELECT 'héllo 😀\tworld'\n";

        Assert.Same(ordinary, Printable.Escape(ordinary));
        Assert.Equal("x\\u202Ey\\uD800z\\U0001FFFF", Printable.Escape("x\u202Ey\uD800z\U0001FFFF"));
    }

    [Fact]
    public void Many_NUL_characters_are_one_error_at_the_first()
    {
        var script = SqlParser.Parse("SELECT 1" + new string('\0', 4000));

        var error = Assert.Single(script.Errors);
        Assert.Equal((1, 9), (error.Line, error.Column));
        Assert.Contains("4000 NUL characters", error.Message);
        Assert.True(error.ToString().Length < 1000, error.ToString());
    }

    [Fact]
    public void Line_and_column_of_a_long_single_line_file_cost_no_walk_over_the_line()
    {
        // 400 KB of literals on one line: every literal used to cost a walk from the line's start (minutes at 1 MB).
        var sb = new StringBuilder("INSERT INTO t (a, b) VALUES ");
        for (var i = 0; sb.Length < 400_000; i++)
        {
            sb.Append(i == 0 ? "" : ", ").Append('(').Append(i).Append(", 'row ").Append(i).Append("')");
        }
        sb.Append(';');
        var clock = Stopwatch.StartNew();

        var result = new Linter().Lint(sb.ToString(), "big.sql");

        Assert.Equal(1, result.Statements);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData(40)]
    [InlineData(500)]
    [InlineData(50_000)]
    public void Deeply_nested_sql_parses_and_lints_without_crashing(int depth)
    {
        // Parse trees of 40 nested parentheses went past System.Text.Json's default depth of 64 and threw.
        var sql = "SELECT " + new string('(', depth) + "1" + new string(')', depth) + ";\nALTER TABLE t ADD CHECK (" + new string('(', depth) + "a > 0" + new string(')', depth) + ");\n";

        var result = new Linter().Lint(sql, "deep.sql");

        Assert.True(result.Statements == 2 || result.Findings.Any(f => f.RuleId == "syntax-error"), string.Join('\n', result.Findings.Select(f => f.Message)));
    }

    [Fact]
    public void Surrogate_pairs_before_a_position_keep_lines_and_columns_exact()
    {
        var source = new SourceText("😀😀x\n😀y");

        Assert.Equal((1, 3), source.LineColumn(4));
        Assert.Equal((2, 2), source.LineColumn(8));
        Assert.Equal(4, source.CodePointPositionToChar(0, 3));
        Assert.Equal("😀😀x", source.Excerpt(1, 3).Text);
        Assert.Equal("  ^", source.Excerpt(1, 3).Caret);
    }

    [Fact]
    public void Lint_text_output_of_thousands_of_findings_on_one_line_grows_linearly()
    {
        var text = "-- stepwise:up\n" + string.Concat(Enumerable.Repeat("BEGIN;", 4000)) + "\n";
        var result = new Linter().Lint(text, "begins.sql");
        var writer = new StringWriter();

        new TextLintReporter().Write(new LintReport([result], Linter.AllRules), writer);

        Assert.True(result.Findings.Count >= 4000);
        Assert.True(writer.ToString().Length < result.Findings.Count * 700, $"{writer.ToString().Length} characters for {result.Findings.Count} findings");
    }

    [Fact]
    public void Lint_stops_promptly_when_cancelled()
    {
        var text = string.Concat(Enumerable.Repeat("ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 1;\n", 20_000));
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        Assert.Throws<OperationCanceledException>(() => new Linter().Lint(text, "m.sql", cancel.Token));
    }

    [Theory]
    [InlineData("\uFFFF", "\\uFFFF")]
    [InlineData("SELECT 'a\uFFFFb';", "\\uFFFF")]
    [InlineData("SELECT 'a\u001b[2Jb\u202E';", "\\x1b[2Jb\\u202E")]
    public async Task Parse_prints_unprintable_characters_escaped_instead_of_crashing(string sql, string shown)
    {
        using var cli = new CliRunner();
        var file = cli.Write("f.sql", sql);

        var (code, output, error) = await cli.Run("parse", file, "--no-color");

        Assert.True(code is 0 or 2, $"exit {code}: {error}");
        Assert.DoesNotContain("Index was outside", error);
        Assert.DoesNotContain('\uFFFF', output + error);
        Assert.DoesNotContain('\u001b', output + error);
        Assert.Contains(shown, output + error);
    }

    [Fact]
    public async Task Parse_of_a_file_of_NULs_prints_one_bounded_error()
    {
        using var cli = new CliRunner();
        var file = Path.Combine(cli.WorkingDirectory, "nul.sql");
        await File.WriteAllBytesAsync(file, [.. "SELECT 1"u8, .. new byte[50_000]]);

        var (code, output, error) = await cli.Run("parse", file, "--no-color");

        Assert.Equal(2, code);
        Assert.True(output.Length + error.Length < 5_000, $"{output.Length + error.Length} characters of output");
        Assert.Contains("nul.sql:1:9: 50000 NUL characters", error);
    }
}
