using Stepwise.Linting;
using Stepwise.Linting.Rules;
using Stepwise.Sql;

namespace Stepwise.Tests.Linting.Rules;

public class RequireConcurrentReindexTests
{
    [Theory]
    [InlineData("REINDEX TABLE workflow_runs;")]
    [InlineData("REINDEX (VERBOSE) TABLE workflow_runs;")]
    [InlineData("REINDEX (CONCURRENTLY false) TABLE workflow_runs;")]
    [InlineData("DO $$ BEGIN REINDEX TABLE workflow_runs; END $$;")]
    public void Flags_table_rebuilds_that_block_writes_and_reads(string sql)
    {
        var finding = LintAssert.Flags<RequireConcurrentReindex>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains("REINDEX TABLE workflow_runs without CONCURRENTLY takes SHARE on workflow_runs and ACCESS EXCLUSIVE on each of its indexes", finding.Message);
        Assert.Contains("writes are blocked", finding.Message);
        Assert.Contains("nearly all reads too", finding.Message);
        Assert.EndsWith("\nREINDEX TABLE CONCURRENTLY \"workflow_runs\";", finding.Fix);
    }

    [Fact]
    public void Flags_an_index_rebuild_naming_its_table_when_known()
    {
        var unknown = LintAssert.Flags<RequireConcurrentReindex>("REINDEX INDEX app.runs_org_idx;");
        var known = LintAssert.Flags<RequireConcurrentReindex>("CREATE INDEX CONCURRENTLY runs_org_idx ON app.runs (org);\nREINDEX INDEX app.runs_org_idx;");

        Assert.Contains("REINDEX INDEX app.runs_org_idx without CONCURRENTLY takes ACCESS EXCLUSIVE on app.runs_org_idx and SHARE on its table", unknown.Message);
        Assert.Contains("and SHARE on app.runs: writes are blocked until the rebuild ends", known.Message);
    }

    [Theory]
    [InlineData("REINDEX SCHEMA app;", "REINDEX SCHEMA app without CONCURRENTLY rebuilds every index in it")]
    [InlineData("REINDEX DATABASE main;", "REINDEX DATABASE main without CONCURRENTLY rebuilds every index in it")]
    public void Flags_schema_and_database_rebuilds(string sql, string message)
    {
        Assert.Contains(message, LintAssert.Flags<RequireConcurrentReindex>(sql).Message);
    }

    [Fact]
    public void With_a_database_a_small_table_drops_to_info()
    {
        var options = new LintOptions { TableSizes = new Dictionary<RelationName, TableSize> { [new("public", "small")] = new(50, 8192) } };

        Assert.Equal(LintSeverity.Info, LintAssert.Flags<RequireConcurrentReindex>("REINDEX TABLE small;", options).Severity);
    }

    [Theory]
    [InlineData("REINDEX TABLE CONCURRENTLY workflow_runs;")]
    [InlineData("REINDEX (CONCURRENTLY) INDEX workflow_runs_org_idx;")]
    [InlineData("REINDEX (CONCURRENTLY true, VERBOSE) SCHEMA app;")]
    [InlineData("REINDEX SYSTEM main;")]
    [InlineData("CREATE TABLE fresh (a int); REINDEX TABLE fresh;")]
    [InlineData("CREATE TABLE fresh (a int); CREATE INDEX fresh_a ON fresh (a); REINDEX INDEX fresh_a;")]
    [InlineData("CLUSTER workflow_runs USING workflow_runs_pkey;")]
    public void Passes_concurrent_rebuilds_tables_created_in_the_file_and_look_alikes(string sql)
    {
        LintAssert.Passes<RequireConcurrentReindex>(sql);
    }
}
