using Stepwise.Linting;
using Stepwise.Linting.Rules;
using Stepwise.Sql;

namespace Stepwise.Tests.Linting.Rules;

public class VacuumFullTests
{
    [Theory]
    [InlineData("VACUUM FULL workflow_runs;")]
    [InlineData("VACUUM (FULL, ANALYZE) workflow_runs;")]
    [InlineData("VACUUM (FULL true) workflow_runs;")]
    [InlineData("VACUUM (FULL 1, VERBOSE) app.workflow_runs;")]
    public void Flags_a_rewrite_that_blocks_reads_and_writes(string sql)
    {
        var finding = LintAssert.Flags<VacuumFull>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains("VACUUM FULL rewrites ", finding.Message);
        Assert.Contains("workflow_runs under ACCESS EXCLUSIVE: it blocks reads and writes until the rewrite ends", finding.Message);
        Assert.Contains("pg_repack", finding.Fix);
    }

    [Fact]
    public void Flags_every_table_in_a_list()
    {
        var findings = LintAssert.Findings<VacuumFull>("VACUUM FULL a, b;");

        Assert.Equal(["a", "b"], findings.Select(f => f.Message.Split(' ')[3]));
    }

    [Fact]
    public void Flags_a_database_wide_vacuum_full_without_naming_a_table()
    {
        var finding = LintAssert.Flags<VacuumFull>("VACUUM FULL;");

        Assert.Contains("every table in the database, each under ACCESS EXCLUSIVE", finding.Message);
    }

    [Theory]
    [InlineData("VACUUM workflow_runs;")]
    [InlineData("VACUUM (ANALYZE, VERBOSE) workflow_runs;")]
    [InlineData("VACUUM (FULL false) workflow_runs;")]
    [InlineData("VACUUM (FULL off);")]
    [InlineData("VACUUM;")]
    [InlineData("ANALYZE workflow_runs;")]
    [InlineData("CREATE TABLE fresh (a int); VACUUM FULL fresh;")]
    public void Passes_plain_vacuum_analyze_and_tables_created_in_the_same_file(string sql)
    {
        LintAssert.Passes<VacuumFull>(sql);
    }

    [Fact]
    public void A_small_table_drops_to_info_with_a_database()
    {
        var options = new LintOptions { TableSizes = new Dictionary<RelationName, TableSize> { [new("public", "tiny")] = new(100, 8192) } };

        Assert.Equal(LintSeverity.Info, LintAssert.Flags<VacuumFull>("VACUUM FULL tiny;", options).Severity);
    }
}
