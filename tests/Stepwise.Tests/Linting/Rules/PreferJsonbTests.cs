using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class PreferJsonbTests
{
    [Theory]
    [InlineData("CREATE TABLE workflow_runs (payload json);", "column workflow_runs.payload is json")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN IF NOT EXISTS payload json NOT NULL DEFAULT '{}';", "column workflow_runs.payload is json")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN payload TYPE json;", "column workflow_runs.payload becomes json")]
    [InlineData("CREATE TABLE workflow_runs (events json[]);", "column workflow_runs.events is json[]")]
    public void Flags_json_columns(string sql, string column)
    {
        var finding = LintAssert.Flags<PreferJsonb>(sql);

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Contains(column, finding.Message);
        Assert.EndsWith("— use jsonb", finding.Message);
    }

    [Theory]
    [InlineData("CREATE TABLE workflow_runs (payload jsonb);")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN payload TYPE jsonb USING payload::jsonb;")]
    [InlineData("SELECT '{}'::json;")]
    [InlineData("CREATE TABLE workflow_runs (payload app.json);")]
    public void Passes_jsonb_and_look_alikes(string sql)
    {
        LintAssert.Passes<PreferJsonb>(sql);
    }
}
