using Stepwise.Linting;
using Stepwise.Linting.Rules;
using Stepwise.Sql;

namespace Stepwise.Tests.Linting.Rules;

public class UnbatchedDataChangeTests
{
    [Theory]
    [InlineData("UPDATE workflow_runs SET status = 'done';", "UPDATE without WHERE changes every row of workflow_runs in one transaction")]
    [InlineData("DELETE FROM app.workflow_runs;", "DELETE without WHERE deletes every row of app.workflow_runs in one transaction")]
    [InlineData("UPDATE workflow_runs r SET status = w.status FROM workflows w;", "UPDATE without WHERE changes every row of workflow_runs")]
    [InlineData("DO $$ BEGIN UPDATE workflow_runs SET status = 'done'; END $$;", "UPDATE without WHERE changes every row of workflow_runs")]
    public void Flags_a_change_of_every_row_of_an_existing_table(string sql, string expected)
    {
        var finding = LintAssert.Flags<UnbatchedDataChange>(sql);

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Contains(expected, finding.Message);
        Assert.Contains("takes ROW EXCLUSIVE and locks each row until commit", finding.Message);
        Assert.Contains("in batches by key range", finding.Fix);
    }

    [Theory]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN status text;", "ALTER TABLE at line 2, which holds ACCESS EXCLUSIVE on workflow_runs until commit: it blocks reads and writes")]
    [InlineData("CREATE INDEX workflow_runs_status ON workflow_runs (status);", "CREATE INDEX at line 2, which holds SHARE on workflow_runs until commit: it blocks writes")]
    public void Flags_a_data_change_after_ddl_on_the_same_table_in_the_same_migration(string ddl, string expected)
    {
        var finding = LintAssert.Flags<UnbatchedDataChange>($"-- stepwise:up\n{ddl}\nUPDATE workflow_runs SET status = 'done' WHERE id < 1000;\n");

        Assert.Equal(3, finding.Line);
        Assert.Contains("UPDATE workflow_runs runs in the same transaction as the ", finding.Message);
        Assert.Contains(expected, finding.Message);
    }

    [Fact]
    public void Flags_ddl_after_a_data_change_on_the_same_table_in_one_transaction()
    {
        var finding = LintAssert.Flags<UnbatchedDataChange>(
            "BEGIN;\nDELETE FROM workflow_runs WHERE finished_at < now() - interval '1 year';\nALTER TABLE workflow_runs ALTER COLUMN status SET NOT NULL;\nCOMMIT;\n");

        Assert.Equal(3, finding.Line);
        Assert.Contains("ALTER TABLE takes ACCESS EXCLUSIVE on workflow_runs in the same transaction as the DELETE at line 2", finding.Message);
        Assert.Contains("the changed rows stay locked while it waits for its lock", finding.Message);
    }

    [Fact]
    public void Flags_plain_sql_assumed_to_run_in_one_transaction()
    {
        var finding = LintAssert.Flags<UnbatchedDataChange>(
            "ALTER TABLE workflow_runs ADD COLUMN status text;\nUPDATE workflow_runs SET status = 'done' WHERE id < 10;", new LintOptions { AssumeInTransaction = true });

        Assert.Equal(2, finding.Line);
    }

    [Theory]
    [InlineData("UPDATE workflow_runs SET status = 'done' WHERE id >= 0 AND id < 50000;")]
    [InlineData("DELETE FROM workflow_runs WHERE id = 1;")]
    [InlineData("CREATE TABLE staging (a int); UPDATE staging SET a = 1; DELETE FROM staging;")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN status text;\nUPDATE workflow_runs SET status = 'done' WHERE id < 1000;")]
    [InlineData("-- stepwise:up\nALTER TABLE workflows ADD COLUMN note text;\nUPDATE workflow_runs SET status = 'done' WHERE id < 1000;\n")]
    [InlineData("-- stepwise:up\nCREATE INDEX CONCURRENTLY i ON workflow_runs (status);\nUPDATE workflow_runs SET status = 'done' WHERE id < 1000;\n")]
    [InlineData("-- stepwise:up\nALTER TABLE workflow_runs ADD COLUMN status text;\nCREATE FUNCTION reset_all() RETURNS void LANGUAGE plpgsql AS $$ BEGIN UPDATE workflow_runs SET status = NULL; END $$;\n")]
    [InlineData("TRUNCATE workflow_runs;")]
    [InlineData("INSERT INTO workflow_runs (status) SELECT 'new' FROM generate_series(1, 10);")]
    public void Passes_batched_changes_new_tables_autocommit_other_tables_and_function_bodies(string sql)
    {
        LintAssert.Passes<UnbatchedDataChange>(sql);
    }

    [Fact]
    public void A_small_table_drops_to_info_with_a_database()
    {
        var options = new LintOptions { TableSizes = new Dictionary<RelationName, TableSize> { [new("public", "settings")] = new(12, 8192) } };

        Assert.Equal(LintSeverity.Info, LintAssert.Flags<UnbatchedDataChange>("UPDATE settings SET value = '';", options).Severity);
    }
}
