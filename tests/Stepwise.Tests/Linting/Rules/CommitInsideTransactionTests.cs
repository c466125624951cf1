using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class CommitInsideTransactionTests
{
    private const string Backfill = "DO $$\nDECLARE n bigint;\nBEGIN\n  LOOP\n    UPDATE t SET c = 0 WHERE id IN (SELECT id FROM t WHERE c IS NULL LIMIT 5000);\n"
        + "    GET DIAGNOSTICS n = ROW_COUNT;\n    EXIT WHEN n = 0;\n    COMMIT;\n  END LOOP;\nEND $$;\n";

    [Fact]
    public void A_DO_block_that_commits_inside_BEGIN_is_an_error_at_the_block()
    {
        var finding = LintAssert.Flags<CommitInsideTransaction>("BEGIN;\nALTER TABLE t ADD COLUMN c int;\n" + Backfill + "COMMIT;\n");

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Equal(3, finding.Line);
        Assert.Contains("this DO block commits or rolls back in its body", finding.Message);
        Assert.Contains("inside a transaction block it fails at its first COMMIT with 2D000", finding.Message);
    }

    [Fact]
    public void A_file_a_tool_wraps_in_a_transaction_is_flagged_too()
    {
        var finding = LintAssert.Flags<CommitInsideTransaction>("DO $$ BEGIN PERFORM 1; ROLLBACK; END $$;\n", new LintOptions { AssumeInTransaction = true });

        Assert.Equal(LintSeverity.Error, finding.Severity);
    }

    [Fact]
    public void A_CALL_in_a_transaction_is_a_warning_naming_the_procedure()
    {
        var finding = LintAssert.Flags<CommitInsideTransaction>("BEGIN;\nCALL app.backfill_orgs(5000);\nCOMMIT;\n");

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.StartsWith("CALL app.backfill_orgs inside a transaction block: if the procedure commits or rolls back", finding.Message);
    }

    [Theory]
    [InlineData("-- stepwise:up\n-- stepwise:no-transaction\n" + Backfill)] // runs on its own: COMMIT is allowed
    [InlineData("-- stepwise:up\nALTER TABLE t ADD COLUMN c int;\n" + Backfill)] // Stepwise runs such a section statement by statement by itself
    [InlineData(Backfill)] // plain SQL, autocommit
    [InlineData("BEGIN;\nDO $$ BEGIN UPDATE t SET c = 1; END $$;\nCOMMIT;\n")] // does not commit
    [InlineData("DO $$ BEGIN CALL p(); END $$;\n")] // a CALL inside a DO run outside a transaction may commit
    [InlineData("BEGIN;\nCREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$;\nCOMMIT;\n")] // defining is not running
    public void Passes_where_the_statement_can_commit_or_does_not(string sql)
    {
        LintAssert.Passes<CommitInsideTransaction>(sql);
    }
}
