using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class PreferBigintOverIntTests
{
    [Theory]
    [InlineData("CREATE TABLE workflow_runs (id int PRIMARY KEY);", "column workflow_runs.id is integer: it stops at 2,147,483,647")]
    [InlineData("CREATE TABLE workflow_runs (id serial);", "column workflow_runs.id is serial: it stops at 2,147,483,647")]
    [InlineData("CREATE TABLE workflow_runs (n integer GENERATED ALWAYS AS IDENTITY);", "column workflow_runs.n is integer: it stops")]
    [InlineData("CREATE TABLE workflow_runs (k int4, PRIMARY KEY (k));", "column workflow_runs.k is integer")]
    [InlineData("CREATE TABLE workflow_runs (w int2, FOREIGN KEY (w) REFERENCES workflows);", "column workflow_runs.w is smallint: it stops at 32,767")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN workflow_id integer REFERENCES workflows;", "column workflow_runs.workflow_id is integer")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN id smallserial;", "column workflow_runs.id is smallserial: it stops at 32,767")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN workflow_id TYPE int;", "column workflow_runs.workflow_id becomes integer")]
    public void Flags_id_columns_that_run_out_as_warnings(string sql, string expected)
    {
        var finding = LintAssert.Flags<PreferBigintOverInt>(sql);

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Contains(expected, finding.Message);
        Assert.Contains("every INSERT fails", finding.Message);
        Assert.Contains("rewrites workflow_runs under ACCESS EXCLUSIVE — use bigint", finding.Message);
    }

    [Theory]
    [InlineData("CREATE TABLE workflow_runs (attempts int NOT NULL DEFAULT 0);")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN priority smallint;")]
    public void Other_integer_columns_are_info(string sql)
    {
        var finding = LintAssert.Flags<PreferBigintOverInt>(sql);

        Assert.Equal(LintSeverity.Info, finding.Severity);
        Assert.Contains("unless the value is bounded by design", finding.Message);
    }

    [Theory]
    [InlineData("CREATE TABLE workflow_runs (id bigint GENERATED ALWAYS AS IDENTITY, workflow_id int8, n bigserial, amount numeric, ratio real);")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN id TYPE bigint;")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN id SET DEFAULT 0;")]
    [InlineData("CREATE TABLE app.counters (id app.int4);")]
    [InlineData("SELECT 1::int;")]
    public void Passes_bigint_other_types_and_look_alikes(string sql)
    {
        LintAssert.Passes<PreferBigintOverInt>(sql);
    }
}
