using Stepwise.Linting;
using Stepwise.Linting.Rules;
using Stepwise.Sql;

namespace Stepwise.Tests.Linting.Rules;

public class RequireConcurrentIndexCreationTests
{
    [Theory]
    [InlineData("CREATE INDEX workflow_runs_org_idx ON workflow_runs (organization_id);")]
    [InlineData("CREATE UNIQUE INDEX ON app.workflow_runs (id);")]
    [InlineData("DO $$ BEGIN CREATE INDEX i ON workflow_runs (a); END $$;")]
    public void Flags_index_builds_that_block_writes(string sql)
    {
        var finding = LintAssert.Flags<RequireConcurrentIndexCreation>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains("takes SHARE on ", finding.Message);
        Assert.Contains("workflow_runs: writes are blocked until the build ends", finding.Message);
        Assert.Contains("CREATE INDEX CONCURRENTLY", finding.Fix);
    }

    [Theory]
    [InlineData("CREATE INDEX CONCURRENTLY i ON workflow_runs (organization_id);")]
    [InlineData("CREATE TABLE fresh (a int); CREATE INDEX fresh_a ON fresh (a);")]
    [InlineData("CREATE TABLE app.fresh (a int); CREATE INDEX ON app.fresh (a);")]
    public void Passes_concurrent_builds_and_tables_created_in_the_same_file(string sql)
    {
        LintAssert.Passes<RequireConcurrentIndexCreation>(sql);
    }

    [Fact]
    public void A_table_created_in_another_file_is_not_exempt()
    {
        LintAssert.Flags<RequireConcurrentIndexCreation>("CREATE INDEX i ON created_elsewhere (a);");
    }

    [Fact]
    public void With_a_database_a_small_table_drops_to_info_and_a_big_one_says_how_long()
    {
        var options = new LintOptions
        {
            TableSizes = new Dictionary<RelationName, TableSize>
            {
                [new("public", "small")] = new(500, 64 * 1024),
                [new("public", "workflow_runs")] = new(40_000_000, 12L * 1024 * 1024 * 1024),
            },
        };

        var small = LintAssert.Flags<RequireConcurrentIndexCreation>("CREATE INDEX i ON small (a);", options);
        var big = LintAssert.Flags<RequireConcurrentIndexCreation>("CREATE INDEX i ON workflow_runs (a);", options);

        Assert.Equal(LintSeverity.Info, small.Severity);
        Assert.Equal(LintSeverity.Error, big.Severity);
        Assert.Contains("~40.0M rows", big.Message);
        Assert.Contains("held for roughly 44 s, an estimate", big.Message); // 40M rows x 1.1 us per row of index build
    }

    [Fact]
    public void An_ignore_with_a_reason_silences_the_next_statement_only()
    {
        var findings = LintAssert.Findings<RequireConcurrentIndexCreation>("""
            -- stepwise:ignore require-concurrent-index-creation -- the table is empty in every environment
            CREATE INDEX a_idx ON a (x);
            CREATE INDEX b_idx ON b (x);
            """);

        Assert.Equal(3, Assert.Single(findings).Line);
    }
}
