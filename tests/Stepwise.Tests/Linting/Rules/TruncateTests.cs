using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class TruncateTests
{
    [Theory]
    [InlineData("TRUNCATE job_events;", "until it ends")]
    [InlineData("TRUNCATE TABLE ONLY job_events RESTART IDENTITY;", "until it ends")]
    [InlineData("BEGIN;\nTRUNCATE job_events;\nCOMMIT;", "until the transaction commits")]
    [InlineData("-- stepwise:up\nTRUNCATE job_events;\n", "until the transaction commits")]
    [InlineData("DO $$ BEGIN TRUNCATE job_events; END $$;", "until the transaction commits")]
    public void Flags_truncating_a_table(string sql, string until)
    {
        var finding = LintAssert.Flags<Truncate>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains($"TRUNCATE job_events deletes every row and takes ACCESS EXCLUSIVE on job_events: reads and writes of job_events are blocked {until}", finding.Message);
        Assert.Contains(", and the rows cannot be recovered once it commits", finding.Message);
        Assert.Contains("DELETE FROM job_events", finding.Fix);
    }

    [Fact]
    public void Each_table_is_a_finding_and_cascade_does_not_hide_it()
    {
        Assert.Equal(2, LintAssert.Findings<Truncate>("TRUNCATE a, app.b CASCADE;").Count);
    }

    [Theory]
    [InlineData("CREATE TABLE staging (id int);\nINSERT INTO staging SELECT 1;\nTRUNCATE staging;")]
    [InlineData("DELETE FROM job_events WHERE id < 1000;")]
    [InlineData("DROP TABLE job_events;")]
    public void Passes_tables_created_in_the_file_and_look_alikes(string sql)
    {
        LintAssert.Passes<Truncate>(sql);
    }
}
