using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class LockTableTests
{
    private static readonly LintOptions s_inTransaction = new() { AssumeInTransaction = true };

    [Theory]
    [InlineData("LOCK TABLE workflow_runs;", "ACCESS EXCLUSIVE", "reads and writes of workflow_runs")]
    [InlineData("LOCK workflow_runs IN SHARE MODE;", "SHARE", "writes to workflow_runs")]
    [InlineData("LOCK TABLE workflow_runs IN EXCLUSIVE MODE NOWAIT;", "EXCLUSIVE", "writes to workflow_runs")]
    public void Flags_explicit_locks_that_block_the_application(string sql, string mode, string blocked)
    {
        var finding = LintAssert.Flags<LockTable>(sql, s_inTransaction);

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Contains($"LOCK TABLE workflow_runs IN {mode} MODE holds {mode} on workflow_runs until the transaction commits: {blocked} are blocked for everything the transaction does after it", finding.Message);
    }

    [Fact]
    public void In_a_migration_and_in_a_DO_block_it_is_in_a_transaction()
    {
        LintAssert.Flags<LockTable>("-- stepwise:up\nLOCK TABLE workflow_runs;\nUPDATE workflow_runs SET a = 1;\n");
        LintAssert.Flags<LockTable>("DO $$ BEGIN LOCK TABLE workflow_runs; END $$;");
    }

    [Fact]
    public void Names_only_the_existing_tables()
    {
        var finding = LintAssert.Flags<LockTable>("CREATE TABLE fresh (a int); LOCK TABLE fresh, app.runs IN SHARE ROW EXCLUSIVE MODE;", s_inTransaction);

        Assert.Contains("LOCK TABLE app.runs IN SHARE ROW EXCLUSIVE MODE holds SHARE ROW EXCLUSIVE on app.runs", finding.Message);
    }

    [Fact]
    public void Outside_a_transaction_block_it_fails()
    {
        var finding = LintAssert.Flags<LockTable>("LOCK TABLE workflow_runs IN ACCESS SHARE MODE;");

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains("outside a transaction block fails", finding.Message);
    }

    [Theory]
    [InlineData("LOCK TABLE workflow_runs IN ACCESS SHARE MODE;")]
    [InlineData("LOCK TABLE workflow_runs IN ROW SHARE MODE;")]
    [InlineData("LOCK TABLE workflow_runs IN ROW EXCLUSIVE MODE;")]
    [InlineData("LOCK TABLE workflow_runs IN SHARE UPDATE EXCLUSIVE MODE;")]
    [InlineData("CREATE TABLE fresh (a int); LOCK TABLE fresh;")]
    [InlineData("SELECT * FROM workflow_runs FOR UPDATE;")]
    public void Passes_modes_that_leave_reads_and_writes_alone_and_tables_created_in_the_file(string sql)
    {
        LintAssert.Passes<LockTable>(sql, s_inTransaction);
    }
}
