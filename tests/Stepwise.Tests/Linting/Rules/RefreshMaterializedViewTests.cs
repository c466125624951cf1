using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class RefreshMaterializedViewTests
{
    [Theory]
    [InlineData("REFRESH MATERIALIZED VIEW daily_totals;")]
    [InlineData("REFRESH MATERIALIZED VIEW app.daily_totals WITH DATA;")]
    [InlineData("-- stepwise:up\nREFRESH MATERIALIZED VIEW daily_totals;")]
    public void Flags_a_refresh_that_blocks_reads_of_the_view(string sql)
    {
        var finding = LintAssert.Flags<RefreshMaterializedView>(sql);

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Contains("daily_totals without CONCURRENTLY takes ACCESS EXCLUSIVE on it: every query of ", finding.Message);
        Assert.Contains("REFRESH MATERIALIZED VIEW CONCURRENTLY", finding.Fix);
    }

    [Fact]
    public void Flags_with_no_data_which_makes_queries_of_the_view_fail()
    {
        var finding = LintAssert.Flags<RefreshMaterializedView>("REFRESH MATERIALIZED VIEW daily_totals WITH NO DATA;");

        Assert.Contains("daily_totals WITH NO DATA empties it under ACCESS EXCLUSIVE", finding.Message);
        Assert.Contains("has not been populated", finding.Message);
    }

    [Theory]
    [InlineData("REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;")]
    [InlineData("CREATE MATERIALIZED VIEW daily_totals AS SELECT 1 AS day WITH NO DATA; REFRESH MATERIALIZED VIEW daily_totals;")]
    [InlineData("CREATE MATERIALIZED VIEW app.daily_totals AS SELECT 1 AS day; REFRESH MATERIALIZED VIEW app.daily_totals;")]
    public void Passes_concurrent_refreshes_and_views_created_in_the_same_file(string sql)
    {
        LintAssert.Passes<RefreshMaterializedView>(sql);
    }
}
