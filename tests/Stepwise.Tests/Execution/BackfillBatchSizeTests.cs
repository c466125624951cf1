using Stepwise.Execution.Backfill;

namespace Stepwise.Tests.Execution;

public class BackfillBatchSizeTests
{
    private static readonly TimeSpan Target = TimeSpan.FromMilliseconds(200);

    private static int Next(int size, double ms) => BackfillRunner.NextSize(size, size, TimeSpan.FromMilliseconds(ms), Target, 1, 1_000_000);

    [Fact]
    public void A_batch_far_below_the_aim_grows_to_half_the_aim_so_a_small_start_reaches_full_size_in_a_few_batches()
    {
        // 1,000 rows in 10 ms, at 100 rows/ms: the aim (80% of 200 ms) holds 16,000 rows.
        var size = 1_000;
        var batches = 0;
        while (size * 0.01 < 0.8 * Target.TotalMilliseconds / 2)
        {
            size = Next(size, size * 0.01);
            batches++;
        }
        Assert.Equal(8_000, Next(1_000, 10)); // ratio 16: eightfold, expected at 80 ms, half the aim
        Assert.Equal(8_000, Next(1_000, 1)); // ratio 160: eightfold at most
        Assert.InRange(batches, 1, 2);
    }

    [Fact]
    public void Near_the_aim_a_batch_grows_by_a_quarter_at_most_and_the_doubled_size_is_expected_at_half_the_aim_at_most()
    {
        Assert.Equal(1_250, Next(1_000, 80)); // at half the aim: ratio 2, a quarter more
        Assert.Equal(1_500, Next(1_000, 160.0 / 3)); // ratio 3: up to ratio / 2, expected at 80 ms, half the aim
        Assert.Equal(2_000, Next(1_000, 40)); // ratio 4: doubled, expected at 80 ms
        Assert.Equal(1_000, Next(1_000, 160)); // on the aim: stays
    }

    [Fact]
    public void A_slow_batch_halves_at_most_and_a_short_last_batch_changes_nothing()
    {
        Assert.Equal(500, Next(1_000, 1_000));
        Assert.Equal(800, Next(1_000, 200));
        Assert.Equal(1_000, BackfillRunner.NextSize(1_000, 10, TimeSpan.FromMilliseconds(1), Target, 1, 1_000_000));
    }

    [Fact]
    public void A_heap_walk_s_first_pass_aims_lower_than_other_batches()
    {
        // 10,000 rows in 150 ms: 160 ms (80% of 200) holds 10,666 rows, the first pass's 140 ms (70%) 9,333.
        Assert.Equal(10_666, BackfillRunner.NextSize(10_000, 10_000, TimeSpan.FromMilliseconds(150), Target, 1, 1_000_000));
        Assert.Equal(9_333, BackfillRunner.NextSize(10_000, 10_000, TimeSpan.FromMilliseconds(150), Target, 1, 1_000_000, BackfillRunner.FirstPassAim));
    }

    [Fact]
    public void A_batch_is_cancelled_at_an_eighth_past_its_target_and_never_under_50_ms()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(225), BackfillRunner.Bound(Target));
        Assert.Equal(TimeSpan.FromMilliseconds(112.5), BackfillRunner.Bound(TimeSpan.FromMilliseconds(100)));
        Assert.Equal(TimeSpan.FromMilliseconds(50), BackfillRunner.Bound(TimeSpan.FromMilliseconds(20)));
    }
}
