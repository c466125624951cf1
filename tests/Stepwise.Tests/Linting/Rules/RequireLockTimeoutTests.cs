using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class RequireLockTimeoutTests
{
    [Theory]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN note text;", "ALTER TABLE takes ACCESS EXCLUSIVE on workflow_runs", "it already blocks reads and writes")]
    [InlineData("CREATE INDEX i ON workflow_runs (note);", "CREATE INDEX takes SHARE on workflow_runs", "it already blocks writes")]
    [InlineData("DROP TABLE old_runs;", "DROP TABLE takes ACCESS EXCLUSIVE on old_runs", "blocks reads and writes")]
    [InlineData("CREATE TABLE steps (run_id bigint REFERENCES workflow_runs (id));", "CREATE TABLE takes SHARE ROW EXCLUSIVE on workflow_runs", "blocks writes")]
    [InlineData("DO $$ BEGIN ALTER TABLE workflow_runs ADD COLUMN note text; END $$;", "ALTER TABLE takes ACCESS EXCLUSIVE on workflow_runs", "blocks reads and writes")]
    public void Flags_ddl_in_plain_sql_without_a_lock_timeout(string sql, string expected, string blocks)
    {
        var finding = LintAssert.Flags<RequireLockTimeout>(sql);

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Contains(expected, finding.Message);
        Assert.Contains("with no lock_timeout set earlier in the file", finding.Message);
        Assert.Contains(blocks, finding.Message);
        Assert.Contains("SET lock_timeout", finding.Fix);
    }

    [Fact]
    public void Reported_once_per_file_at_the_first_statement_that_needs_it_with_that_statement_as_the_example()
    {
        var findings = LintAssert.Findings<RequireLockTimeout>(
            "ALTER TABLE orders ADD COLUMN note text;\nALTER TABLE customers ADD COLUMN note text;\nCREATE INDEX orders_note ON orders (note);\nALTER TABLE orders DROP COLUMN x;\n");

        var finding = Assert.Single(findings);
        Assert.Equal(1, finding.Line);
        Assert.Contains("ACCESS EXCLUSIVE on orders", finding.Message);
        Assert.Contains("reported once per file", finding.Message);
        Assert.EndsWith("SET lock_timeout = '2s';\nALTER TABLE orders ADD COLUMN note text;", finding.Fix);
        Assert.DoesNotContain("workflow_runs", finding.Fix);
    }

    [Fact]
    public void A_concurrent_index_build_is_info_since_its_queued_lock_blocks_only_schema_changes()
    {
        var finding = LintAssert.Flags<RequireLockTimeout>("CREATE INDEX CONCURRENTLY i ON workflow_runs (note);");

        Assert.Equal(LintSeverity.Info, finding.Severity);
        Assert.Contains("SHARE UPDATE EXCLUSIVE on workflow_runs", finding.Message);
    }

    [Theory]
    [InlineData("SET lock_timeout = '2s';\nALTER TABLE workflow_runs ADD COLUMN note text;")]
    [InlineData("SET lock_timeout TO 2000;\nALTER TABLE workflow_runs ADD COLUMN note text;")]
    [InlineData("SET SESSION lock_timeout = '2s';\nBEGIN;\nALTER TABLE workflow_runs ADD COLUMN note text;\nCOMMIT;")]
    [InlineData("BEGIN;\nSET LOCAL lock_timeout = '2s';\nALTER TABLE workflow_runs ADD COLUMN note text;\nCOMMIT;")]
    [InlineData("SELECT set_config('lock_timeout', '2s', false);\nALTER TABLE workflow_runs ADD COLUMN note text;")]
    [InlineData("CREATE TABLE fresh (a int);\nALTER TABLE fresh ADD COLUMN b int;\nCREATE INDEX fresh_b ON fresh (b);")]
    [InlineData("UPDATE workflow_runs SET note = '' WHERE id = 1;\nINSERT INTO workflow_runs (note) VALUES ('');\nSELECT * FROM workflow_runs FOR UPDATE;")]
    [InlineData("-- stepwise:up\nALTER TABLE workflow_runs ADD COLUMN note text;\n")]
    public void Passes_with_a_lock_timeout_for_new_tables_dml_and_stepwise_migrations(string sql)
    {
        LintAssert.Passes<RequireLockTimeout>(sql);
    }

    [Theory]
    [InlineData("BEGIN;\nSET LOCAL lock_timeout = '2s';\nCOMMIT;\nALTER TABLE workflow_runs ADD COLUMN note text;")]
    [InlineData("SET LOCAL lock_timeout = '2s';\nALTER TABLE workflow_runs ADD COLUMN note text;")]
    [InlineData("SET lock_timeout = '2s';\nRESET lock_timeout;\nALTER TABLE workflow_runs ADD COLUMN note text;")]
    [InlineData("SET lock_timeout = '2s';\nRESET ALL;\nALTER TABLE workflow_runs ADD COLUMN note text;")]
    [InlineData("SET lock_timeout = 0;\nALTER TABLE workflow_runs ADD COLUMN note text;")]
    [InlineData("SET lock_timeout = '0ms';\nALTER TABLE workflow_runs ADD COLUMN note text;")]
    [InlineData("SET statement_timeout = '2s';\nALTER TABLE workflow_runs ADD COLUMN note text;")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN note text;\nSET lock_timeout = '2s';")]
    public void Flags_a_lock_timeout_that_is_not_in_effect_when_the_ddl_runs(string sql)
    {
        LintAssert.Flags<RequireLockTimeout>(sql);
    }

    [Fact]
    public void Set_local_counts_for_the_whole_file_when_it_is_assumed_to_run_in_one_transaction()
    {
        LintAssert.Passes<RequireLockTimeout>("SET LOCAL lock_timeout = '2s';\nALTER TABLE workflow_runs ADD COLUMN note text;", new LintOptions { AssumeInTransaction = true });
    }
}
