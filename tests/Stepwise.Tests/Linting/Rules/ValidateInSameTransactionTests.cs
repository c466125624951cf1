using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class ValidateInSameTransactionTests
{
    private static readonly LintOptions s_inTransaction = new() { AssumeInTransaction = true };

    [Fact]
    public void Flags_validating_a_check_in_the_migration_that_added_it()
    {
        var finding = LintAssert.Flags<ValidateInSameTransaction>("""
            -- stepwise:up
            ALTER TABLE workflow_runs ADD CONSTRAINT runs_attempts_positive CHECK (attempts > 0) NOT VALID;
            ALTER TABLE workflow_runs VALIDATE CONSTRAINT runs_attempts_positive;
            """);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Equal(3, finding.Line);
        Assert.Contains("ALTER TABLE workflow_runs VALIDATE CONSTRAINT runs_attempts_positive runs in the same transaction as " +
            "ADD CONSTRAINT runs_attempts_positive CHECK ... NOT VALID on line 2: the transaction still holds ACCESS EXCLUSIVE on workflow_runs, " +
            "so reads and writes of workflow_runs are blocked through the whole validating scan, as if NOT VALID had been left out", finding.Message);
        Assert.Contains("later migration", finding.Fix);
    }

    [Fact]
    public void Flags_a_foreign_key_naming_both_tables()
    {
        var finding = LintAssert.Flags<ValidateInSameTransaction>("""
            BEGIN;
            ALTER TABLE app.runs ADD CONSTRAINT runs_org_fk FOREIGN KEY (org_id) REFERENCES app.orgs (id) NOT VALID;
            ALTER TABLE runs VALIDATE CONSTRAINT runs_org_fk;
            COMMIT;
            """.Replace("ALTER TABLE runs", "ALTER TABLE app.runs"));

        Assert.Contains("the transaction still holds SHARE ROW EXCLUSIVE on app.runs and SHARE ROW EXCLUSIVE on app.orgs, " +
            "so writes to app.runs and writes to app.orgs are blocked", finding.Message);
    }

    [Fact]
    public void Names_the_strongest_lock_the_transaction_holds_on_the_table()
    {
        var finding = LintAssert.Flags<ValidateInSameTransaction>("""
            ALTER TABLE runs ADD COLUMN org_id bigint;
            ALTER TABLE runs ADD CONSTRAINT runs_org_fk FOREIGN KEY (org_id) REFERENCES orgs NOT VALID;
            ALTER TABLE runs VALIDATE CONSTRAINT runs_org_fk;
            """, s_inTransaction);

        Assert.Contains("holds ACCESS EXCLUSIVE on runs and SHARE ROW EXCLUSIVE on orgs", finding.Message);
    }

    [Theory]
    [InlineData("ALTER TABLE runs ADD CONSTRAINT c CHECK (a > 0) NOT VALID, VALIDATE CONSTRAINT c;", "in the same statement as ADD CONSTRAINT c CHECK ... NOT VALID: the statement still holds")]
    [InlineData("DO $$ BEGIN ALTER TABLE runs ADD CONSTRAINT c CHECK (a > 0) NOT VALID; ALTER TABLE runs VALIDATE CONSTRAINT c; END $$;", "on line 1:")]
    [InlineData("BEGIN; ALTER TABLE public.runs ADD CONSTRAINT c CHECK (a > 0) NOT VALID; UPDATE runs SET a = 1 WHERE a IS NULL; ALTER TABLE runs VALIDATE CONSTRAINT c; COMMIT;", "on line 1:")]
    public void Flags_other_shapes_of_one_transaction(string sql, string where)
    {
        Assert.Contains(where, LintAssert.Flags<ValidateInSameTransaction>(sql).Message);
    }

    [Theory]
    [InlineData("ALTER TABLE runs ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE runs VALIDATE CONSTRAINT c;")]
    [InlineData("BEGIN;\nALTER TABLE runs ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nCOMMIT;\nALTER TABLE runs VALIDATE CONSTRAINT c;")]
    [InlineData("-- stepwise:up\n-- stepwise:no-transaction\nALTER TABLE runs ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE runs VALIDATE CONSTRAINT c;\n")]
    [InlineData("DO $$ BEGIN ALTER TABLE runs ADD CONSTRAINT c CHECK (a > 0) NOT VALID; END $$;\nALTER TABLE runs VALIDATE CONSTRAINT c;")]
    public void Passes_validation_after_a_commit(string sql)
    {
        LintAssert.Passes<ValidateInSameTransaction>(sql);
    }

    [Theory]
    [InlineData("ALTER TABLE runs VALIDATE CONSTRAINT c;")]
    [InlineData("ALTER TABLE runs ADD CONSTRAINT c CHECK (a > 0) NOT VALID; ALTER TABLE other VALIDATE CONSTRAINT c;")]
    [InlineData("ALTER TABLE runs ADD CONSTRAINT c CHECK (a > 0) NOT VALID; ALTER TABLE runs VALIDATE CONSTRAINT d;")]
    [InlineData("ALTER TABLE runs ADD CONSTRAINT c CHECK (a > 0); ALTER TABLE runs VALIDATE CONSTRAINT c;")]
    [InlineData("CREATE TABLE runs (a int); ALTER TABLE runs ADD CONSTRAINT c CHECK (a > 0) NOT VALID; ALTER TABLE runs VALIDATE CONSTRAINT c;")]
    [InlineData("ALTER TABLE runs VALIDATE CONSTRAINT c; ALTER TABLE runs ADD CONSTRAINT c CHECK (a > 0) NOT VALID;")]
    public void Passes_look_alikes_and_tables_created_in_the_file(string sql)
    {
        LintAssert.Passes<ValidateInSameTransaction>(sql, s_inTransaction);
    }
}
