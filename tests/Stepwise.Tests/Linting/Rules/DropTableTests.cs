using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class DropTableTests
{
    [Theory]
    [InlineData("DROP TABLE legacy_jobs;", "legacy_jobs")]
    [InlineData("DROP TABLE IF EXISTS app.legacy_jobs;", "app.legacy_jobs")]
    [InlineData("-- stepwise:up\nDROP TABLE legacy_jobs;\n", "legacy_jobs")]
    [InlineData("DO $$ BEGIN DROP TABLE legacy_jobs; END $$;", "legacy_jobs")]
    public void Flags_dropping_a_table(string sql, string table)
    {
        var finding = LintAssert.Flags<DropTable>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains($"DROP TABLE {table} deletes the table and all its rows, and breaks old application instances still running while the migration applies", finding.Message);
        Assert.Contains($"every query of theirs on {table} fails once the drop commits; it takes ACCESS EXCLUSIVE on {table} and on the tables its foreign keys reference", finding.Message);
        Assert.Contains("stepwise:ignore drop-table", finding.Fix);
    }

    [Fact]
    public void Each_table_is_a_finding_and_cascade_says_what_else_goes()
    {
        var findings = LintAssert.Findings<DropTable>("DROP TABLE a, b CASCADE;");

        Assert.Equal(2, findings.Count);
        Assert.All(findings, f => Assert.Contains("CASCADE also drops the views and foreign keys that depend on it", f.Message));
    }

    [Theory]
    [InlineData("CREATE TABLE scratch (id int);\nDROP TABLE scratch;")]
    [InlineData("-- stepwise:up\nCREATE TABLE jobs (id int);\n-- stepwise:down\nDROP TABLE jobs;\n")]
    [InlineData("DROP VIEW legacy_jobs;")]
    [InlineData("DROP INDEX legacy_jobs_idx;")]
    [InlineData("ALTER TABLE jobs DROP COLUMN legacy;")]
    public void Passes_tables_created_in_the_file_and_look_alikes(string sql)
    {
        LintAssert.Passes<DropTable>(sql);
    }
}
