using Stepwise.Cli.Commands;
using Stepwise.Execution.Backfill;

namespace Stepwise.Tests.Cli;

/// <summary>The line <c>stepwise status</c> prints for a backfill.</summary>
public class StatusLineTests
{
    private static BackfillState State(string? state) =>
        new(7, 2, "public.runs", 1_200_000, 300, "heap", 7_000, 25_000, 120_000, TimeSpan.FromSeconds(17), state, DateTimeOffset.UtcNow);

    [Fact]
    public void A_running_backfill_shows_its_share_rate_and_time_left()
    {
        var line = StatusCommand.BackfillLine(State("running"));

        Assert.StartsWith("backfill public.runs (version 7, step 2): 1,200,000 rows (28% of the heap), 120,000 rows/s, about 17 s left; running, last recorded", line);
    }

    [Fact]
    public void A_held_backfill_counts_its_time_left_from_when_it_goes_on()
    {
        var line = StatusCommand.BackfillLine(State("waiting: paused by an operator (stepwise backfill resume goes on)"));

        Assert.Contains("about 17 s left once it goes on; waiting: paused by an operator", line);
    }

    [Theory]
    [InlineData("failed: 22012: division by zero")]
    [InlineData("stopped: no Stepwise run is going on")]
    public void A_backfill_that_failed_or_stopped_shows_no_time_left(string state)
    {
        var line = StatusCommand.BackfillLine(State(state));

        Assert.DoesNotContain("left", line);
        Assert.Contains($"120,000 rows/s; {state}, last recorded", line);
    }
}
