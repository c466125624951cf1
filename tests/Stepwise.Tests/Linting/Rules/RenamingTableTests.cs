using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class RenamingTableTests
{
    [Theory]
    [InlineData("ALTER TABLE workflow_runs RENAME TO runs;", "ALTER TABLE workflow_runs")]
    [InlineData("ALTER TABLE IF EXISTS app.workflow_runs RENAME TO runs;", "ALTER TABLE app.workflow_runs")]
    [InlineData("ALTER VIEW workflow_runs RENAME TO runs;", "ALTER VIEW workflow_runs")]
    [InlineData("ALTER MATERIALIZED VIEW workflow_runs RENAME TO runs;", "ALTER MATERIALIZED VIEW workflow_runs")]
    [InlineData("BEGIN;\nALTER TABLE workflow_runs RENAME TO runs;\nCOMMIT;", "ALTER TABLE workflow_runs")]
    public void Flags_renaming_a_relation_old_versions_use(string sql, string command)
    {
        var finding = LintAssert.Flags<RenamingTable>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains($"{command} RENAME TO runs breaks old application instances still running while the migration applies", finding.Message);
        Assert.Contains("fails once the rename commits; it takes ACCESS EXCLUSIVE on ", finding.Message);
        Assert.Contains("CREATE VIEW workflow_runs AS SELECT * FROM runs", finding.Fix);
    }

    [Theory]
    [InlineData("CREATE TABLE runs_new (id int);\nALTER TABLE runs_new RENAME TO runs;")]
    [InlineData("ALTER TABLE workflow_runs RENAME COLUMN state TO status;")]
    [InlineData("ALTER INDEX workflow_runs_pkey RENAME TO runs_pkey;")]
    [InlineData("ALTER SEQUENCE workflow_runs_id_seq RENAME TO runs_id_seq;")]
    [InlineData("ALTER TABLE workflow_runs RENAME CONSTRAINT a TO b;")]
    public void Passes_new_tables_and_other_renames(string sql)
    {
        LintAssert.Passes<RenamingTable>(sql);
    }

    [Fact]
    public void An_ignore_with_a_reason_allows_the_rename_behind_a_view()
    {
        LintAssert.Passes<RenamingTable>("""
            -- stepwise:up
            -- stepwise:ignore renaming-table -- the view below keeps the old name working
            ALTER TABLE workflow_runs RENAME TO runs;
            CREATE VIEW workflow_runs AS SELECT * FROM runs;
            """);
    }
}
