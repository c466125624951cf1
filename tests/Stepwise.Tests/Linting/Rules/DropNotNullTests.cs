using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class DropNotNullTests
{
    [Theory]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN finished_at DROP NOT NULL;")]
    [InlineData("ALTER TABLE workflow_runs ALTER finished_at DROP NOT NULL, ALTER COLUMN state SET DEFAULT 'x';")]
    [InlineData("-- stepwise:up\nALTER TABLE workflow_runs ALTER COLUMN finished_at DROP NOT NULL;\n")]
    [InlineData("DO $$ BEGIN ALTER TABLE workflow_runs ALTER COLUMN finished_at DROP NOT NULL; END $$;")]
    public void Flags_dropping_not_null_on_a_column_old_versions_read(string sql)
    {
        var finding = LintAssert.Flags<DropNotNull>(sql);

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Contains("ALTER TABLE ... ALTER COLUMN finished_at DROP NOT NULL lets NULL into workflow_runs.finished_at", finding.Message);
        Assert.Contains("old application instances still running while the migration applies may read NULLs they never expected", finding.Message);
        Assert.Contains("takes ACCESS EXCLUSIVE on workflow_runs briefly (no scan)", finding.Message);
    }

    [Theory]
    [InlineData("CREATE TABLE workflow_runs (finished_at timestamptz NOT NULL);\nALTER TABLE workflow_runs ALTER COLUMN finished_at DROP NOT NULL;")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN note text NOT NULL DEFAULT '';\nALTER TABLE workflow_runs ALTER COLUMN note DROP NOT NULL;")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN finished_at SET NOT NULL;")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN finished_at DROP DEFAULT;")]
    [InlineData("ALTER DOMAIN positive DROP NOT NULL;")]
    public void Passes_new_tables_and_columns_and_look_alikes(string sql)
    {
        LintAssert.Passes<DropNotNull>(sql);
    }
}
