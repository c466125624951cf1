using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class PreferTextFieldTests
{
    [Theory]
    [InlineData("CREATE TABLE workflow_runs (title varchar(200));", "column workflow_runs.title is varchar(200)")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN title character varying(200) NOT NULL DEFAULT '';", "column workflow_runs.title is varchar(200)")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN title TYPE varchar(200);", "column workflow_runs.title becomes varchar(200)")]
    [InlineData("CREATE TABLE workflow_runs (title varchar(200)[]);", "column workflow_runs.title is varchar(200)[]")]
    public void Flags_varchar_with_a_length_as_info(string sql, string column)
    {
        var finding = LintAssert.Flags<PreferTextField>(sql);

        Assert.Equal(LintSeverity.Info, finding.Severity);
        Assert.Contains(column, finding.Message);
        Assert.Contains("lowering the limit later rewrites workflow_runs under ACCESS EXCLUSIVE — use text with CHECK (char_length(title) <= 200)", finding.Message);
    }

    [Theory]
    [InlineData("CREATE TABLE workflow_runs (title text CHECK (char_length(title) <= 200));")]
    [InlineData("CREATE TABLE workflow_runs (title varchar);")]
    [InlineData("CREATE TABLE workflow_runs (code char(2));")]
    [InlineData("SELECT 'a'::varchar(3);")]
    public void Passes_text_varchar_without_a_length_and_look_alikes(string sql)
    {
        LintAssert.Passes<PreferTextField>(sql);
    }
}
