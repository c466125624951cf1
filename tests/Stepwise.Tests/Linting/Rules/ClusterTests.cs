using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class ClusterTests
{
    [Theory]
    [InlineData("CLUSTER workflow_runs USING workflow_runs_created_idx;")]
    [InlineData("CLUSTER workflow_runs;")]
    [InlineData("CLUSTER VERBOSE app.workflow_runs;")]
    [InlineData("BEGIN; CLUSTER workflow_runs USING i; COMMIT;")]
    public void Flags_a_rewrite_that_blocks_reads_and_writes(string sql)
    {
        var finding = LintAssert.Flags<Cluster>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains("CLUSTER rewrites ", finding.Message);
        Assert.Contains("workflow_runs in index order under ACCESS EXCLUSIVE: it blocks reads and writes until the rewrite ends", finding.Message);
    }

    [Fact]
    public void Flags_a_database_wide_cluster()
    {
        var finding = LintAssert.Flags<Cluster>("CLUSTER;");

        Assert.Contains("every table that was clustered before, each under ACCESS EXCLUSIVE", finding.Message);
    }

    [Theory]
    [InlineData("CREATE TABLE fresh (a int); CREATE INDEX fresh_a ON fresh (a); CLUSTER fresh USING fresh_a;")]
    [InlineData("ALTER TABLE workflow_runs CLUSTER ON workflow_runs_created_idx;")]
    [InlineData("ALTER TABLE workflow_runs SET WITHOUT CLUSTER;")]
    public void Passes_tables_created_in_the_same_file_and_marking_an_index_for_clustering(string sql)
    {
        LintAssert.Passes<Cluster>(sql);
    }
}
