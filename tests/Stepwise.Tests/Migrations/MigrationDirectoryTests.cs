using System.Text;
using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Tests.Migrations;

public class MigrationDirectoryTests
{
    private static MigrationDirectory Load(TempDirectory dir) => MigrationDirectory.Load(dir.Path);

    private static MigrationProblem Single(MigrationDirectory d, string code) =>
        Assert.Single(d.Problems, p => p.Code == code);

    [Fact]
    public void Reads_versions_numerically_with_sections_directives_and_assertions()
    {
        using var dir = new TempDirectory();
        dir.Write("10_second.sql", "-- stepwise:up\nCREATE TABLE b (id int);\n-- stepwise:down\nDROP TABLE b;\n");
        dir.Write("9_first.sql", """
            -- stepwise:lock-timeout 5s
            -- stepwise:up
            -- stepwise:statement-timeout 10min
            ALTER TABLE a ADD COLUMN eligible boolean;
            UPDATE a SET eligible = (cost = 0);
            -- stepwise:assert parity
            SELECT 1 FROM a WHERE eligible IS DISTINCT FROM (cost = 0);
            -- stepwise:down
            ALTER TABLE a DROP COLUMN eligible;
            """);
        dir.Write("R_views.sql", "CREATE OR REPLACE VIEW v AS SELECT 1;");
        dir.Write("README.md", "not a migration");

        var d = Load(dir);

        Assert.Equal(["9_first.sql", "10_second.sql"], d.Versioned.Select(m => m.FileName));
        Assert.Equal(["R_views.sql"], d.Repeatable.Select(m => m.FileName));
        Assert.Equal([Severity.Warning], d.Problems.Select(p => p.Severity)); // only: no stepwise.sum
        var first = d.Versioned[0];
        Assert.Equal((9L, "first"), (first.Version, first.Name));
        Assert.Equal(2, first.Up!.Statements.Count);
        Assert.Equal(TimeSpan.FromSeconds(5), first.Up.LockTimeout);
        Assert.Equal(TimeSpan.FromMinutes(10), first.Up.StatementTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), first.Down!.LockTimeout); // file-level directive: both sections
        Assert.Null(first.Down.StatementTimeout);
        var assertion = Assert.Single(first.Up.Assertions);
        Assert.Equal("parity", assertion.Name);
        Assert.Equal(7, assertion.Query.Span.StartLine);
        Assert.True(first.Up.RunsInTransaction);
        Assert.StartsWith("sha256:", first.Checksum);
    }

    [Fact]
    public void Dbmate_markers_and_transaction_false_are_understood()
    {
        using var dir = new TempDirectory();
        dir.Write("20240101120000_idx.sql", "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n\n-- migrate:down\nDROP INDEX i;\n");

        var m = Assert.Single(Load(dir).Versioned);

        Assert.False(m.Up!.RunsInTransaction);
        Assert.True(m.Up.NoTransactionDirective);
        Assert.True(m.Down!.RunsInTransaction);
    }

    [Fact]
    public void A_concurrent_index_makes_its_section_run_statement_by_statement()
    {
        using var dir = new TempDirectory();
        dir.Write("1_idx.sql", "-- stepwise:up\nCREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY i ON t (a);\n");

        var up = Assert.Single(Load(dir).Versioned).Up!;

        Assert.False(up.RunsInTransaction);
        Assert.Equal("CREATE INDEX at line 3 cannot run in a transaction", up.WhyNoTransaction);
    }

    [Fact]
    public void Duplicate_versions_name_both_files()
    {
        using var dir = new TempDirectory();
        dir.Write("0046_a.sql", "-- stepwise:up\nSELECT 1;");
        dir.Write("46_b.sql", "-- stepwise:up\nSELECT 1;");

        var problem = Single(Load(dir), "duplicate-version");

        Assert.Contains("version 46 is used by both 0046_a.sql and 46_b.sql", problem.Message);
        Assert.Equal(Severity.Error, problem.Severity);
    }

    [Theory]
    [InlineData("abc_init.sql", "bad-file-name")]
    [InlineData("0_init.sql", "bad-version")]
    [InlineData("99999999999999999999_init.sql", "bad-version")]
    [InlineData("1_init.SQL", "bad-file-name")]
    [InlineData("R_views.yaml", "repeatable-operations")]
    [InlineData("R_views.json", "repeatable-operations")]
    [InlineData("1_init.YAML", "bad-file-name")]
    [InlineData("0_init.yaml", "bad-version")]
    public void Bad_file_names_are_errors(string fileName, string code)
    {
        using var dir = new TempDirectory();
        dir.Write(fileName, "-- stepwise:up\nSELECT 1;");

        Assert.Equal(Severity.Error, Single(Load(dir), code).Severity);
    }

    [Fact]
    public void Names_that_differ_only_in_case_are_errors()
    {
        using var dir = new TempDirectory();
        dir.Write("1_Init.sql", "-- stepwise:up\nSELECT 1;");
        dir.Write("1_init.sql", "-- stepwise:up\nSELECT 1;");
        dir.Write("R_Views.sql", "SELECT 1;");
        dir.Write("R_views.sql", "SELECT 1;");

        var d = Load(dir);

        Assert.Contains("differ only in case", Single(d, "duplicate-version").Message);
        Assert.Contains("differ only in case", Single(d, "duplicate-name").Message);
    }

    [Theory]
    [InlineData("", "empty-file", 1, 1)]
    [InlineData("CREATE TABLE t (id int);\n", "no-up-section", 1, 1)]
    [InlineData("-- stepwise:up\nCREATE TABLE t (id int);\n-- stepwise:frobnicate\n", "bad-directive", 3, 1)]
    [InlineData("-- stepwise:up\n-- stepwise:lock-timeout soon\nSELECT 1;", "bad-directive", 2, 1)]
    [InlineData("-- stepwise:up\nSELECT 1;\n-- stepwise:no-transaction\nSELECT 2;", "directive-after-statement", 3, 1)]
    [InlineData("-- stepwise:up\nCREATE TABLE t (id int);\n-- stepwise:assert done\n", "assert-without-query", 3, 1)]
    [InlineData("-- stepwise:up\nSELECT 1;\n-- stepwise:down\n-- stepwise:assert x\nSELECT 1;", "assert-outside-up", 4, 1)]
    [InlineData("-- stepwise:up\nCREATE TABLE t (id int;\n", "syntax-error", 2, 23)]
    [InlineData("SELECT 1;\n-- stepwise:up\nSELECT 2;", "statement-outside-section", 1, 1)]
    [InlineData("-- stepwise:up\nSELECT 1;\n-- stepwise:up\nSELECT 2;", "duplicate-marker", 3, 1)]
    [InlineData("-- stepwise:up\n-- stepwise:down\nSELECT 1;", "empty-up-section", 1, 1)]
    [InlineData("-- migrate:up transaction:maybe\nSELECT 1;", "bad-directive", 1, 1)]
    public void Bad_content_is_an_error_at_its_line_and_column(string content, string code, int line, int column)
    {
        using var dir = new TempDirectory();
        dir.Write("1_m.sql", content);

        var problem = Single(Load(dir), code);

        Assert.Equal((Severity.Error, line, column), (problem.Severity, problem.Line, problem.Column));
        Assert.StartsWith(Path.Combine(dir.Path, "1_m.sql") + $":{line}:{column}: error: ", problem.ToString());
    }

    [Fact]
    public void Markers_inside_dollar_quoted_bodies_are_not_markers()
    {
        using var dir = new TempDirectory();
        dir.Write("1_fn.sql", "-- stepwise:up\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n-- stepwise:down\nRETURN 1;\nEND $$;\n");

        var d = Load(dir);

        Assert.DoesNotContain(d.Problems, p => p.Severity == Severity.Error);
        Assert.Null(d.Versioned[0].Down);
    }

    [Fact]
    public void A_file_that_is_not_utf8_is_reported_at_the_bad_byte()
    {
        using var dir = new TempDirectory();
        dir.WriteBytes("1_latin1.sql", [.. Encoding.ASCII.GetBytes("-- stepwise:up\nSELECT 'caf"), 0xE9, .. Encoding.ASCII.GetBytes("';\n")]);

        var problem = Single(Load(dir), "not-utf8");

        Assert.Equal((2, 12), (problem.Line, problem.Column));
    }

    [Fact]
    public void A_huge_file_is_refused_without_reading_it_whole()
    {
        using var dir = new TempDirectory();
        using (var stream = File.Create(Path.Combine(dir.Path, "1_big.sql")))
        {
            stream.SetLength(50L * 1024 * 1024);
        }

        var problem = Single(Load(dir), "file-too-large");

        Assert.Contains("50.0 MiB", problem.Message);
    }

    [Fact]
    public void Checksums_ignore_line_endings_and_bom_but_not_content()
    {
        using var dir = new TempDirectory();
        dir.Write("1_a.sql", "-- stepwise:up\nSELECT 1;\n");
        dir.WriteBytes("2_a.sql", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("-- stepwise:up\r\nSELECT 1;\r\n")]);
        dir.Write("3_a.sql", "-- stepwise:up\nSELECT 2;\n");

        var d = Load(dir);

        Assert.Equal(d.Versioned[0].Checksum, d.Versioned[1].Checksum);
        Assert.NotEqual(d.Versioned[0].Checksum, d.Versioned[2].Checksum);
    }

    [Fact]
    public void Lint_ignores_inside_a_migration_are_not_migration_directives()
    {
        using var dir = new TempDirectory();
        dir.Write("1_a.sql", "-- stepwise:ignore-file lock-table -- nightly job, no traffic\n-- stepwise:up\n-- stepwise:ignore require-concurrent-index-creation -- empty table\nCREATE INDEX i ON t (a);\n");

        var d = Load(dir);

        Assert.DoesNotContain(d.Problems, p => p.Severity == Severity.Error);
        Assert.Single(d.Versioned[0].Up!.Statements);
    }
}
