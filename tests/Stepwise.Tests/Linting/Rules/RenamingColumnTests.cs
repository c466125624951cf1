using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class RenamingColumnTests
{
    [Theory]
    [InlineData("ALTER TABLE workflow_runs RENAME COLUMN state TO status;", "ALTER TABLE")]
    [InlineData("ALTER TABLE IF EXISTS ONLY workflow_runs RENAME state TO status;", "ALTER TABLE")]
    [InlineData("ALTER VIEW workflow_runs RENAME COLUMN state TO status;", "ALTER VIEW")]
    [InlineData("-- stepwise:up\nALTER TABLE workflow_runs RENAME COLUMN state TO status;\n", "ALTER TABLE")]
    [InlineData("DO $$ BEGIN ALTER TABLE workflow_runs RENAME COLUMN state TO status; END $$;", "ALTER TABLE")]
    public void Flags_renaming_a_column_old_versions_use(string sql, string command)
    {
        var finding = LintAssert.Flags<RenamingColumn>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains($"{command} ... RENAME COLUMN state TO status breaks old application instances still running while the migration applies", finding.Message);
        Assert.Contains("every query of theirs that names state fails once the rename commits", finding.Message);
        Assert.Contains("takes ACCESS EXCLUSIVE on workflow_runs", finding.Message);
        Assert.Contains("ADD COLUMN status", finding.Fix);
    }

    [Theory]
    [InlineData("CREATE TABLE workflow_runs (state text);\nALTER TABLE workflow_runs RENAME COLUMN state TO status;")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN stat text;\nALTER TABLE workflow_runs RENAME COLUMN stat TO status;")]
    [InlineData("ALTER TABLE workflow_runs RENAME CONSTRAINT runs_state_check TO runs_status_check;")]
    [InlineData("ALTER TABLE workflow_runs RENAME TO runs;")]
    [InlineData("ALTER TYPE address RENAME ATTRIBUTE zip TO postcode;")]
    public void Passes_new_tables_and_columns_and_other_renames(string sql)
    {
        LintAssert.Passes<RenamingColumn>(sql);
    }
}
