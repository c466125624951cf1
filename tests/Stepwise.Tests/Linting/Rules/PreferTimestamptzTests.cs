using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class PreferTimestamptzTests
{
    [Theory]
    [InlineData("CREATE TABLE workflow_runs (started_at timestamp);", "column workflow_runs.started_at is timestamp (without time zone)")]
    [InlineData("CREATE TABLE workflow_runs (started_at timestamp without time zone);", "column workflow_runs.started_at is timestamp (without time zone)")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN started_at timestamp(3) NOT NULL DEFAULT now();", "is timestamp(3) (without time zone)")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN started_at TYPE timestamp;", "column workflow_runs.started_at becomes timestamp (without time zone)")]
    public void Flags_timestamp_without_time_zone(string sql, string column)
    {
        var finding = LintAssert.Flags<PreferTimestamptz>(sql);

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Contains(column, finding.Message);
        Assert.EndsWith("— use timestamptz", finding.Message);
    }

    [Theory]
    [InlineData("CREATE TABLE workflow_runs (started_at timestamptz, finished_at timestamp with time zone, day date, at time);")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN started_at TYPE timestamptz USING started_at AT TIME ZONE 'UTC';")]
    [InlineData("SELECT now()::timestamp;")]
    public void Passes_timestamptz_and_look_alikes(string sql)
    {
        LintAssert.Passes<PreferTimestamptz>(sql);
    }
}
