using Stepwise.Sql;

namespace Stepwise.Tests.Sql;

public class SplitTests
{
    private static IReadOnlyList<SqlStatement> Statements(string sql) => SqlParser.Parse(sql, "m.sql").Statements;

    [Fact]
    public void Splits_statements_and_excludes_leading_comments_and_semicolons()
    {
        var sql = "-- lead comment\n  SELECT 1;\n\n/* c /* nested */ */ CREATE INDEX CONCURRENTLY i ON t (a);  ALTER TABLE t ADD COLUMN b int;\n-- trailing";
        var statements = Statements(sql);

        Assert.Equal(["SELECT 1", "CREATE INDEX CONCURRENTLY i ON t (a)", "ALTER TABLE t ADD COLUMN b int"], statements.Select(s => s.Text));
        Assert.Equal(["SELECT", "CREATE INDEX", "ALTER TABLE"], statements.Select(s => s.CommandTag));
        Assert.Equal((2, 3), (statements[0].Span.StartLine, statements[0].Span.StartColumn));
        Assert.Equal((4, 22), (statements[1].Span.StartLine, statements[1].Span.StartColumn));
        Assert.All(statements, s => Assert.Equal(StatementKind.Sql, s.Kind));
        Assert.All(statements, s => Assert.Equal(s.Text, sql.Substring(s.Span.Start, s.Span.Length)));
    }

    [Fact]
    public void Dollar_quotes_keep_semicolons_inside_function_bodies_and_do_blocks()
    {
        var sql = """
            CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
              NEW.a := 1; -- not a boundary;
              RETURN NEW;
            END $fn$;
            DO $$ BEGIN PERFORM 1; PERFORM 2; END $$;
            SELECT $tag$ a;b $inner$ ; $inner$ $tag$;
            """;
        var statements = Statements(sql);

        Assert.Equal(3, statements.Count);
        Assert.Equal(["CREATE FUNCTION", "DO", "SELECT"], statements.Select(s => s.CommandTag));
        Assert.Equal((1, 5), (statements[0].Span.StartLine, statements[0].Span.EndLine));
        Assert.Equal(6, statements[1].Span.StartLine);
    }

    [Fact]
    public void Escape_strings_and_quoted_identifiers_do_not_end_statements()
    {
        var sql = "SELECT E'it\\'s; fine', 'a''b;c', \"we;ird\" FROM t;\nSELECT 2;";
        var statements = Statements(sql);

        Assert.Equal(2, statements.Count);
        Assert.True(SqlParser.Parse(sql).IsValid);
        Assert.Equal(2, statements[1].Span.StartLine);
    }

    [Fact]
    public void Sql_standard_function_bodies_with_semicolons_are_one_statement()
    {
        var sql = "CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT a + b; END;\nSELECT 1;";
        var statements = Statements(sql);

        Assert.Equal(["CREATE FUNCTION", "SELECT"], statements.Select(s => s.CommandTag));
    }

    [Fact]
    public void A_syntax_error_yields_an_error_value_and_the_other_statements()
    {
        var sql = "CREATE TABLE a (id int);\nSELEC 2;\nCREATE TABLE b (id int);\n";
        var script = SqlParser.Parse(sql, "0001_init.sql");

        Assert.Equal([StatementKind.Sql, StatementKind.Invalid, StatementKind.Sql], script.Statements.Select(s => s.Kind));
        Assert.Equal("SELEC 2", script.Statements[1].Text);
        var error = Assert.Single(script.Errors);
        Assert.Equal(("0001_init.sql", 2, 1), (error.File, error.Line, error.Column));
        Assert.Contains("syntax error at or near \"SELEC\"", error.Message);
        Assert.Equal("SELEC 2;", error.SourceLine);
        Assert.Equal("^", error.Caret);
        Assert.StartsWith("0001_init.sql:2:1: syntax error", error.ToString());
    }

    [Fact]
    public void Several_errors_are_each_reported_with_valid_statements_between_them()
    {
        var sql = "SELECT 1; foo bar; SELECT 2; CREATE TABLE (x int); SELECT 3";
        var script = SqlParser.Parse(sql);

        Assert.Equal(["SELECT 1", "foo bar", "SELECT 2", "CREATE TABLE (x int)", "SELECT 3"], script.Statements.Select(s => s.Text));
        Assert.Equal(2, script.Errors.Count);
        Assert.Equal([11, 43], script.Errors.Select(e => e.Column));
    }

    [Fact]
    public void Error_inside_an_sql_standard_body_still_keeps_later_statements()
    {
        var sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELEC 2; END;\nSELECT 5;";
        var script = SqlParser.Parse(sql);

        Assert.False(script.IsValid);
        Assert.Equal("SELECT 5", script.Statements[^1].Text);
        Assert.Equal(StatementKind.Sql, script.Statements[^1].Kind);
    }

    [Fact]
    public void Unterminated_quote_is_an_error_that_runs_to_the_end()
    {
        var script = SqlParser.Parse("SELECT 1;\nSELECT 'abc;\nSELECT 2;");

        Assert.Equal(2, script.Statements.Count);
        Assert.Equal(StatementKind.Sql, script.Statements[0].Kind);
        var error = Assert.Single(script.Errors);
        Assert.Contains("unterminated quoted string", error.Message);
        Assert.Equal((2, 8), (error.Line, error.Column));
    }

    [Fact]
    public void Error_at_end_of_input_points_past_the_last_token()
    {
        var script = SqlParser.Parse("SELECT 1;\nSELECT (");

        var error = Assert.Single(script.Errors);
        Assert.Contains("at end of input", error.Message);
        Assert.Equal((2, 9), (error.Line, error.Column));
        Assert.Equal("SELECT (", script.Statements[1].Text);
    }

    [Fact]
    public void Psql_meta_commands_are_reported_as_unsupported_and_do_not_hide_sql()
    {
        var sql = "\\connect other\nCREATE TABLE t (id int);\n\\set ON_ERROR_STOP on\nSELECT 1;";
        var script = SqlParser.Parse(sql, "x.sql");

        Assert.Equal([StatementKind.MetaCommand, StatementKind.Sql, StatementKind.MetaCommand, StatementKind.Sql], script.Statements.Select(s => s.Kind));
        Assert.Equal(["\\connect", "CREATE TABLE", "\\set", "SELECT"], script.Statements.Select(s => s.CommandTag));
        Assert.Equal(2, script.Errors.Count);
        Assert.Contains("psql meta-command \\connect is not supported", script.Errors[0].Message);
        Assert.Equal((1, 1), (script.Errors[0].Line, script.Errors[0].Column));
        Assert.Equal(3, script.Errors[1].Line);
    }

    [Fact]
    public void Backslashes_inside_strings_and_comments_are_not_meta_commands()
    {
        var script = SqlParser.Parse("SELECT '\\n', $$\\x$$; -- \\connect\n/* \\c */ SELECT E'\\\\';");

        Assert.True(script.IsValid);
        Assert.Equal(2, script.Statements.Count);
    }

    [Fact]
    public void Offsets_lines_and_columns_are_right_with_multibyte_text()
    {
        var sql = "SELECT 'héllo wörld 🙂';\nSELECT 'ünï' AS \"naïve\"; SELEC 3;";
        var script = SqlParser.Parse(sql);

        Assert.Equal(["SELECT 'héllo wörld 🙂'", "SELECT 'ünï' AS \"naïve\"", "SELEC 3"], script.Statements.Select(s => s.Text));
        var error = Assert.Single(script.Errors);
        Assert.Equal((2, 26), (error.Line, error.Column));
        Assert.Equal(sql.IndexOf("SELEC 3", StringComparison.Ordinal), error.Offset);
        Assert.Equal(new string(' ', 25) + "^", error.Caret);
    }

    [Fact]
    public void Nul_character_is_an_error_with_position()
    {
        var script = SqlParser.Parse("SELECT 1;\nSELECT\0 2;");

        var error = Assert.Single(script.Errors);
        Assert.Equal((2, 7), (error.Line, error.Column));
        Assert.Contains("NUL", error.Message);
    }

    [Fact]
    public void Empty_and_comment_only_scripts_have_no_statements()
    {
        Assert.Empty(SqlParser.Parse("").Statements);
        Assert.Empty(SqlParser.Parse("  -- nothing\n/* here */ ;;\n").Statements);
    }

    [Fact]
    public void Split_without_trees_gives_the_same_spans_as_parse()
    {
        var sql = "CREATE TABLE a (id int);\nSELEC 2;\nDO $$ BEGIN PERFORM 1; END $$;\n\\c db\nSELECT 'ü';";
        var parsed = SqlParser.Parse(sql);
        var split = SqlParser.Split(sql);

        Assert.Equal(parsed.Statements.Select(s => (s.Span, s.Kind)), split.Statements.Select(s => (s.Span, s.Kind)));
        Assert.All(split.Statements, s => Assert.Null(s.Tree));
        Assert.All(parsed.Statements.Where(s => s.Kind == StatementKind.Sql), s => Assert.NotNull(s.Tree));
    }

    [Fact]
    public void A_long_script_parsed_in_pieces_gives_the_statements_lines_and_trees_of_parsing_each_alone()
    {
        // Over twice the piece size (64 KiB), so the script is parsed in pieces on several threads.
        string[] shapes =
        [
            "CREATE TABLE t{0} (id bigint PRIMARY KEY, note text DEFAULT 'a;b')",
            "-- a comment; with a semicolon\nALTER TABLE t{0} ADD COLUMN c{0} int",
            "CREATE FUNCTION f{0}() RETURNS int LANGUAGE plpgsql AS $fn$ BEGIN RETURN {0}; END $fn$",
            "UPDATE t{0} SET note = 'é;ü' WHERE id = {0}",
        ];
        var expected = Enumerable.Range(0, 3000).Select(i => string.Format(System.Globalization.CultureInfo.InvariantCulture, shapes[i % shapes.Length], i)).ToList();
        var sql = string.Join(";\n", expected) + ";\n";
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(sql) > 2 * 64 * 1024);

        var statements = Statements(sql);

        Assert.Equal(expected.Select(e => e.StartsWith("--", StringComparison.Ordinal) ? e[(e.IndexOf('\n') + 1)..] : e), statements.Select(s => s.Text));
        Assert.Equal(statements.Count, statements.Select(s => s.Span.StartLine).Distinct().Count());
        Assert.All(statements, s => Assert.Equal(s.Text, sql.Substring(s.Span.Start, s.Span.Length)));
        Assert.All(statements, s => Assert.Equal(SqlParser.Parse(s.Text).Statements.Single().Tree!.Kind, s.Tree!.Kind));
        Assert.Equal(Enumerable.Range(0, statements.Count), statements.Select(s => s.Index));
    }

    [Fact]
    public void A_long_script_with_a_syntax_error_still_yields_every_other_statement()
    {
        var good = Enumerable.Range(0, 4000).Select(i => $"ALTER TABLE t ADD COLUMN c{i} int").ToList();
        var lines = good.Take(2000).Append("SELEC broken").Concat(good.Skip(2000)).ToList();

        var script = SqlParser.Parse(string.Join(";\n", lines) + ";\n", "m.sql");

        Assert.Equal(good, script.Statements.Where(s => s.Kind == StatementKind.Sql).Select(s => s.Text));
        var invalid = Assert.Single(script.Statements, s => s.Kind == StatementKind.Invalid);
        Assert.Equal(2001, invalid.Span.StartLine);
    }
}
