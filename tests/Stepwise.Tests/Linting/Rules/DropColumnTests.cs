using Stepwise.Linting;
using Stepwise.Linting.Rules;
using Stepwise.Sql;

namespace Stepwise.Tests.Linting.Rules;

public class DropColumnTests
{
    [Theory]
    [InlineData("ALTER TABLE workflow_runs DROP COLUMN legacy_state;")]
    [InlineData("ALTER TABLE workflow_runs DROP IF EXISTS legacy_state;")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN state text, DROP COLUMN legacy_state;")]
    [InlineData("-- stepwise:up\nALTER TABLE workflow_runs DROP COLUMN legacy_state;\n")]
    [InlineData("DO $$ BEGIN ALTER TABLE workflow_runs DROP COLUMN legacy_state; END $$;")]
    public void Flags_dropping_a_column_old_versions_use(string sql)
    {
        var finding = LintAssert.Flags<DropColumn>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains("ALTER TABLE ... DROP COLUMN legacy_state breaks old application instances still running while the migration applies", finding.Message);
        Assert.Contains("every query of theirs that names legacy_state fails once the drop commits", finding.Message);
        Assert.Contains("takes ACCESS EXCLUSIVE on workflow_runs briefly", finding.Message);
        Assert.DoesNotContain("CASCADE", finding.Message);
        Assert.Contains("stepwise:ignore drop-column", finding.Fix);
    }

    [Fact]
    public void Cascade_says_what_else_goes()
    {
        var finding = LintAssert.Flags<DropColumn>("ALTER TABLE workflow_runs DROP COLUMN legacy_state CASCADE;");

        Assert.Contains("CASCADE also drops the views and constraints that use it", finding.Message);
    }

    [Fact]
    public void Each_dropped_column_is_a_finding()
    {
        Assert.Equal(2, LintAssert.Findings<DropColumn>("ALTER TABLE workflow_runs DROP COLUMN a, DROP COLUMN b;").Count);
    }

    [Theory]
    [InlineData("CREATE TABLE workflow_runs (legacy_state text);\nALTER TABLE workflow_runs DROP COLUMN legacy_state;")]
    [InlineData("-- stepwise:up\nALTER TABLE workflow_runs ADD COLUMN state text;\n-- stepwise:down\nALTER TABLE workflow_runs DROP COLUMN state;\n")]
    [InlineData("ALTER TABLE workflow_runs DROP CONSTRAINT workflow_runs_state_check;")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN state DROP DEFAULT;")]
    [InlineData("ALTER TYPE address DROP ATTRIBUTE zip;")]
    public void Passes_columns_this_file_added_and_look_alikes(string sql)
    {
        LintAssert.Passes<DropColumn>(sql);
    }

    [Fact]
    public void A_small_table_stays_an_error()
    {
        var options = new LintOptions { TableSizes = new Dictionary<RelationName, TableSize> { [new("public", "small")] = new(10, 8192) } };

        Assert.Equal(LintSeverity.Error, LintAssert.Flags<DropColumn>("ALTER TABLE small DROP COLUMN a;", options).Severity);
    }
}
