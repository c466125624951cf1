using Stepwise.Linting;
using Stepwise.Linting.Rules;
using Stepwise.Sql;

namespace Stepwise.Tests.Linting.Rules;

public class RequireConcurrentIndexDeletionTests
{
    [Theory]
    [InlineData("DROP INDEX workflow_runs_org_idx;", "DROP INDEX workflow_runs_org_idx ")]
    [InlineData("DROP INDEX IF EXISTS app.runs_a_idx, runs_b_idx;", "DROP INDEX app.runs_a_idx, runs_b_idx ")]
    [InlineData("DO $$ BEGIN DROP INDEX workflow_runs_org_idx; END $$;", "DROP INDEX workflow_runs_org_idx ")]
    public void Flags_drops_that_lock_the_table(string sql, string names)
    {
        var finding = LintAssert.Flags<RequireConcurrentIndexDeletion>(sql);

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Contains(names + "without CONCURRENTLY takes ACCESS EXCLUSIVE on the index's table", finding.Message);
        Assert.Contains("DROP INDEX CONCURRENTLY", finding.Fix);
    }

    [Fact]
    public void Names_the_table_when_the_index_was_created_earlier_in_the_file()
    {
        var finding = LintAssert.Flags<RequireConcurrentIndexDeletion>("""
            CREATE INDEX CONCURRENTLY runs_state_idx ON app.workflow_runs (state);
            DROP INDEX app.runs_state_idx;
            """);

        Assert.Contains("takes ACCESS EXCLUSIVE on app.workflow_runs: reads and writes queue behind it until the drop ends", finding.Message);
    }

    [Fact]
    public void In_a_transaction_the_lock_is_held_until_commit()
    {
        var finding = LintAssert.Flags<RequireConcurrentIndexDeletion>("-- stepwise:up\nDROP INDEX workflow_runs_org_idx;\n");

        Assert.Contains("until the transaction commits", finding.Message);
    }

    [Fact]
    public void With_a_database_the_known_table_gets_its_size_but_the_finding_does_not_scale_with_it()
    {
        var options = new LintOptions { TableSizes = new Dictionary<RelationName, TableSize> { [new("public", "runs")] = new(100, 8192) } };

        var finding = LintAssert.Flags<RequireConcurrentIndexDeletion>("CREATE INDEX CONCURRENTLY i ON runs (a);\nDROP INDEX i;", options);

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Contains("(runs: ", finding.Message);
    }

    [Theory]
    [InlineData("DROP INDEX CONCURRENTLY workflow_runs_org_idx;")]
    [InlineData("DROP INDEX CONCURRENTLY IF EXISTS app.workflow_runs_org_idx;")]
    [InlineData("CREATE TABLE fresh (a int); CREATE INDEX fresh_a ON fresh (a); DROP INDEX fresh_a;")]
    [InlineData("CREATE TABLE app.fresh (a int); CREATE INDEX fresh_a ON app.fresh (a); DROP INDEX app.fresh_a;")]
    [InlineData("DROP TABLE workflow_runs;")]
    [InlineData("ALTER INDEX workflow_runs_org_idx RENAME TO runs_org_idx;")]
    public void Passes_concurrent_drops_indexes_of_tables_created_in_the_file_and_other_drops(string sql)
    {
        LintAssert.Passes<RequireConcurrentIndexDeletion>(sql);
    }

    [Fact]
    public void An_index_created_in_the_file_on_an_existing_table_is_not_exempt()
    {
        LintAssert.Flags<RequireConcurrentIndexDeletion>("CREATE INDEX CONCURRENTLY i ON workflow_runs (a);\nDROP INDEX i;");
    }

    [Fact]
    public void One_index_on_an_existing_table_is_enough_to_flag_a_drop_of_several()
    {
        var finding = LintAssert.Flags<RequireConcurrentIndexDeletion>("CREATE TABLE fresh (a int); CREATE INDEX f ON fresh (a); DROP INDEX f, old_idx;");

        Assert.Contains("on the index's table", finding.Message);
    }
}
