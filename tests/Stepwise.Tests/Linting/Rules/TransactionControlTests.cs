using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class TransactionControlTests
{
    [Theory]
    [InlineData("BEGIN;", "BEGIN inside a Stepwise migration: Stepwise opens the transaction itself")]
    [InlineData("START TRANSACTION;", "START TRANSACTION inside a Stepwise migration")]
    [InlineData("COMMIT;", "COMMIT inside a Stepwise migration ends the transaction Stepwise manages")]
    [InlineData("END;", "COMMIT inside a Stepwise migration ends")]
    [InlineData("ROLLBACK;", "ROLLBACK inside a Stepwise migration ends")]
    [InlineData("PREPARE TRANSACTION 'm1';", "PREPARE TRANSACTION inside a Stepwise migration ends")]
    public void Flags_transaction_control_in_a_migration_as_an_error(string statement, string expected)
    {
        var finding = LintAssert.Flags<TransactionControl>($"-- stepwise:up\nUPDATE workflow_runs SET archived = true WHERE id < 10;\n{statement}\n");

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Equal(3, finding.Line);
        Assert.Contains(expected, finding.Message);
    }

    [Fact]
    public void Savepoints_are_a_warning_in_a_transaction_and_an_error_statement_by_statement()
    {
        var inTransaction = LintAssert.Findings<TransactionControl>("-- stepwise:up\nSAVEPOINT s;\nUPDATE t SET a = 1 WHERE id = 1;\nROLLBACK TO SAVEPOINT s;\n");
        var split = LintAssert.Findings<TransactionControl>("-- stepwise:up\n-- stepwise:no-transaction\nSAVEPOINT s;\nRELEASE SAVEPOINT s;\n");

        Assert.All(inTransaction, f => Assert.Equal(LintSeverity.Warning, f.Severity));
        Assert.Contains("ROLLBACK TO SAVEPOINT inside a Stepwise migration: a ROLLBACK TO undoes part of the migration", inTransaction[1].Message);
        Assert.All(split, f => Assert.Equal(LintSeverity.Error, f.Severity));
        Assert.Contains("RELEASE SAVEPOINT in a section that runs statement by statement", split[1].Message);
    }

    [Fact]
    public void Flags_the_down_section_too()
    {
        LintAssert.Flags<TransactionControl>("-- stepwise:up\nCREATE TABLE t (a int);\n-- stepwise:down\nBEGIN;\nDROP TABLE t;\n");
    }

    [Theory]
    [InlineData("BEGIN;\nALTER TABLE workflow_runs ADD COLUMN note text;\nCOMMIT;\n")]
    [InlineData("BEGIN; SAVEPOINT s; ROLLBACK TO SAVEPOINT s; ROLLBACK;")]
    [InlineData("-- stepwise:up\n-- stepwise:no-transaction\nCREATE PROCEDURE batch() LANGUAGE plpgsql AS $$ BEGIN UPDATE t SET a = 1 WHERE id < 10; COMMIT; END $$;\n")]
    [InlineData("-- stepwise:up\nSET LOCAL lock_timeout = '1s';\nSELECT pg_advisory_xact_lock(1);\n")]
    public void Passes_plain_sql_files_and_statements_that_are_not_transaction_control(string sql)
    {
        LintAssert.Passes<TransactionControl>(sql);
    }
}
