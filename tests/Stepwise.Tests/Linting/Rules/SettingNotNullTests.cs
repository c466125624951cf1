using Stepwise.Linting;
using Stepwise.Linting.Rules;
using Stepwise.Sql;

namespace Stepwise.Tests.Linting.Rules;

public class SettingNotNullTests
{
    [Theory]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN organization_id SET NOT NULL;")]
    [InlineData("ALTER TABLE ONLY workflow_runs ALTER organization_id SET NOT NULL;")]
    [InlineData("DO $$ BEGIN ALTER TABLE workflow_runs ALTER COLUMN organization_id SET NOT NULL; END $$;")]
    public void Flags_set_not_null_that_scans_the_table(string sql)
    {
        var finding = LintAssert.Flags<SettingNotNull>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains("ALTER TABLE workflow_runs ALTER COLUMN organization_id SET NOT NULL scans every row of workflow_runs for NULLs under ACCESS EXCLUSIVE: " +
            "reads and writes of workflow_runs are blocked", finding.Message);
        Assert.Contains("CHECK (organization_id IS NOT NULL) NOT VALID", finding.Fix);
    }

    [Theory]
    [InlineData("ALTER TABLE runs ADD CONSTRAINT runs_org_nn CHECK (org_id IS NOT NULL) NOT VALID;\nALTER TABLE runs VALIDATE CONSTRAINT runs_org_nn;\nALTER TABLE runs ALTER COLUMN org_id SET NOT NULL;")]
    [InlineData("ALTER TABLE app.runs ADD CONSTRAINT nn CHECK (runs.org_id IS NOT NULL AND attempts > 0) NOT VALID;\nALTER TABLE app.runs VALIDATE CONSTRAINT nn;\nALTER TABLE app.runs ALTER COLUMN org_id SET NOT NULL;")]
    [InlineData("ALTER TABLE runs ADD CONSTRAINT nn CHECK (NOT (org_id IS NULL)) NOT VALID;\nALTER TABLE runs VALIDATE CONSTRAINT nn;\nALTER TABLE runs ALTER COLUMN org_id SET NOT NULL;")]
    [InlineData("ALTER TABLE runs ADD CONSTRAINT nn CHECK (org_id IS NOT NULL);\nALTER TABLE runs ALTER COLUMN org_id SET NOT NULL;")]
    [InlineData("-- stepwise:up\n-- stepwise:no-transaction\nALTER TABLE runs ADD CONSTRAINT nn CHECK (org_id IS NOT NULL) NOT VALID;\nALTER TABLE runs VALIDATE CONSTRAINT nn;\nALTER TABLE runs ALTER COLUMN org_id SET NOT NULL;\nALTER TABLE runs DROP CONSTRAINT nn;\n")]
    public void Passes_when_a_validated_check_already_proves_it(string sql)
    {
        LintAssert.Passes<SettingNotNull>(sql);
    }

    [Fact]
    public void A_check_validated_in_the_transaction_that_added_it_still_spares_this_scan()
    {
        // PostgreSQL skips the scan either way; the scan under ACCESS EXCLUSIVE happened at VALIDATE,
        // which validate-in-same-transaction reports on that line.
        LintAssert.Passes<SettingNotNull>("""
            -- stepwise:up
            ALTER TABLE runs ADD CONSTRAINT nn CHECK (org_id IS NOT NULL) NOT VALID;
            ALTER TABLE runs VALIDATE CONSTRAINT nn;
            ALTER TABLE runs ALTER COLUMN org_id SET NOT NULL;
            """);
    }

    [Fact]
    public void A_check_that_is_never_validated_does_not_help_and_the_message_says_so()
    {
        var finding = LintAssert.Flags<SettingNotNull>("ALTER TABLE runs ADD CONSTRAINT nn CHECK (org_id IS NOT NULL) NOT VALID;\nALTER TABLE runs ALTER COLUMN org_id SET NOT NULL;");

        Assert.Contains("the CHECK on line 1 would let PostgreSQL skip the scan, but it has not been validated by then", finding.Message);
    }

    [Theory]
    [InlineData("ALTER TABLE runs ADD CONSTRAINT nn CHECK (other_id IS NOT NULL);\nALTER TABLE runs ALTER COLUMN org_id SET NOT NULL;")]
    [InlineData("ALTER TABLE other ADD CONSTRAINT nn CHECK (org_id IS NOT NULL);\nALTER TABLE runs ALTER COLUMN org_id SET NOT NULL;")]
    [InlineData("ALTER TABLE runs ADD CONSTRAINT nn CHECK (org_id IS NOT NULL OR legacy);\nALTER TABLE runs ALTER COLUMN org_id SET NOT NULL;")]
    [InlineData("ALTER TABLE runs ALTER COLUMN org_id SET NOT NULL;\nALTER TABLE runs ADD CONSTRAINT nn CHECK (org_id IS NOT NULL);")]
    [InlineData("ALTER TABLE runs ADD CONSTRAINT nn CHECK (org_id IS NOT NULL) NOT VALID;\nALTER TABLE runs VALIDATE CONSTRAINT other;\nALTER TABLE runs ALTER COLUMN org_id SET NOT NULL;")]
    public void Flags_when_the_check_proves_something_else(string sql)
    {
        LintAssert.Flags<SettingNotNull>(sql);
    }

    [Fact]
    public void Before_PostgreSQL_12_a_check_does_not_help()
    {
        var finding = LintAssert.Flags<SettingNotNull>("ALTER TABLE runs ADD CONSTRAINT nn CHECK (org_id IS NOT NULL);\nALTER TABLE runs ALTER COLUMN org_id SET NOT NULL;",
            new LintOptions { PostgresVersion = 11 });

        Assert.Contains("PostgreSQL 11 cannot use a CHECK constraint to skip it", finding.Message);
    }

    [Fact]
    public void With_a_database_a_small_table_drops_to_info()
    {
        var options = new LintOptions { TableSizes = new Dictionary<RelationName, TableSize> { [new("public", "runs")] = new(20, 8192) } };

        Assert.Equal(LintSeverity.Info, LintAssert.Flags<SettingNotNull>("ALTER TABLE runs ALTER COLUMN org_id SET NOT NULL;", options).Severity);
    }

    [Theory]
    [InlineData("CREATE TABLE runs (org_id bigint); ALTER TABLE runs ALTER COLUMN org_id SET NOT NULL;")]
    [InlineData("ALTER TABLE runs ALTER COLUMN org_id DROP NOT NULL;")]
    [InlineData("ALTER TABLE runs ADD COLUMN org_id bigint NOT NULL DEFAULT 0;")]
    [InlineData("ALTER DOMAIN org_ref SET NOT NULL;")]
    public void Passes_new_tables_and_look_alikes(string sql)
    {
        LintAssert.Passes<SettingNotNull>(sql);
    }
}
