using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class ConstraintMissingNotValidTests
{
    [Theory]
    [InlineData("ALTER TABLE workflow_runs ADD CONSTRAINT runs_attempts_positive CHECK (attempts > 0);", "ADD CONSTRAINT runs_attempts_positive CHECK without NOT VALID")]
    [InlineData("ALTER TABLE workflow_runs ADD CHECK (attempts > 0) NO INHERIT;", "ADD CHECK without NOT VALID")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN priority int CHECK (priority > 0);", "ADD COLUMN priority ... CHECK (a column constraint, which cannot be NOT VALID)")]
    [InlineData("DO $$ BEGIN ALTER TABLE workflow_runs ADD CONSTRAINT c CHECK (attempts > 0); END $$;", "ADD CONSTRAINT c CHECK without NOT VALID")]
    public void Flags_checks_validated_under_access_exclusive(string sql, string clause)
    {
        var finding = LintAssert.Flags<ConstraintMissingNotValid>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains($"ALTER TABLE workflow_runs {clause} scans every row of workflow_runs under ACCESS EXCLUSIVE: reads and writes of workflow_runs are blocked", finding.Message);
        Assert.Contains("NOT VALID", finding.Fix);
    }

    [Fact]
    public void Each_check_of_a_statement_is_a_finding()
    {
        var findings = LintAssert.Findings<ConstraintMissingNotValid>("ALTER TABLE t ADD CONSTRAINT a CHECK (x > 0), ADD CONSTRAINT b CHECK (y > 0) NOT VALID, ADD CONSTRAINT c CHECK (z > 0);");

        Assert.Equal(["a", "c"], findings.Select(f => f.Message.Split(' ')[5]));
    }

    [Fact]
    public void In_a_migration_the_lock_is_held_until_commit()
    {
        Assert.Contains("until the transaction commits", LintAssert.Flags<ConstraintMissingNotValid>("-- stepwise:up\nALTER TABLE t ADD CHECK (x > 0);\n").Message);
    }

    [Theory]
    [InlineData("ALTER TABLE workflow_runs ADD CONSTRAINT runs_attempts_positive CHECK (attempts > 0) NOT VALID;")]
    [InlineData("ALTER TABLE workflow_runs VALIDATE CONSTRAINT runs_attempts_positive;")]
    [InlineData("CREATE TABLE runs (attempts int CHECK (attempts > 0));")]
    [InlineData("CREATE TABLE runs (attempts int); ALTER TABLE runs ADD CONSTRAINT c CHECK (attempts > 0);")]
    [InlineData("ALTER TABLE workflow_runs ADD CONSTRAINT runs_org_fk FOREIGN KEY (org_id) REFERENCES orgs;")]
    [InlineData("ALTER FOREIGN TABLE remote_runs ADD CONSTRAINT c CHECK (attempts > 0);")]
    [InlineData("ALTER DOMAIN positive ADD CONSTRAINT c CHECK (VALUE > 0);")]
    public void Passes_not_valid_checks_new_tables_and_look_alikes(string sql)
    {
        LintAssert.Passes<ConstraintMissingNotValid>(sql);
    }
}
