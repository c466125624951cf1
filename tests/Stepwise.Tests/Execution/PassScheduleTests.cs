using Stepwise.Execution.Backfill;

namespace Stepwise.Tests.Execution;

public class PassScheduleTests
{
    [Fact]
    public void The_default_schedule_is_written_to_its_checkpoint_and_read_back_as_the_same_passes()
    {
        var schedule = new PassSchedule(new BackfillOptions().PassShares.Sum(), new BackfillOptions().PassShares);

        var read = PassSchedule.Parse(schedule.ToString());

        Assert.Equal("16:5,3,3,2,2,1", schedule.ToString());
        Assert.Equal(6, read.Passes);
        Assert.Equal(5 / 16.0, read.LargestShare);
        Assert.Equal(Enumerable.Range(0, 6).Select(schedule.Filter), Enumerable.Range(0, 6).Select(read.Filter));
    }

    [Fact]
    public void Each_pass_takes_the_next_residues_of_the_line_pointer_number_from_the_last_byte_of_the_tid()
    {
        var schedule = new PassSchedule(16, [5, 3, 3, 2, 2, 1]);

        Assert.Equal("(get_byte(tidsend(ctid), 5) & 15) BETWEEN 0 AND 4", schedule.Filter(0));
        Assert.Equal("(get_byte(tidsend(ctid), 5) & 15) BETWEEN 5 AND 7", schedule.Filter(1));
        Assert.Equal("(get_byte(tidsend(ctid), 5) & 15) = 15", schedule.Filter(5));
    }

    [Fact]
    public void Shares_in_thirty_seconds_read_the_last_five_bits_and_keep_their_modulo_in_the_checkpoint()
    {
        var schedule = new PassSchedule(32, [8, 6, 5, 4, 3, 2, 2, 2]);

        Assert.Equal("(get_byte(tidsend(ctid), 5) & 31) BETWEEN 8 AND 13", schedule.Filter(1));
        Assert.Equal("32:8,6,5,4,3,2,2,2", schedule.ToString());
        Assert.Equal(8 / 32.0, PassSchedule.Parse(schedule.ToString()).LargestShare);
    }

    [Fact]
    public void A_bare_number_is_an_earlier_stepwise_s_equal_passes_and_a_modulo_that_does_not_divide_256_reads_both_bytes()
    {
        var legacy = PassSchedule.Parse("4");
        var three = PassSchedule.Parse("3");

        Assert.Equal(4, legacy.Passes);
        Assert.Equal("(get_byte(tidsend(ctid), 5) & 3) = 2", legacy.Filter(2));
        Assert.Equal("(((get_byte(tidsend(ctid), 4) << 8) | get_byte(tidsend(ctid), 5)) % 3) = 1", three.Filter(1));
    }

    [Theory]
    [InlineData("")]
    [InlineData("16:5,3")]
    [InlineData("4:1,0,3")]
    [InlineData("x")]
    [InlineData("-4")]
    public void A_checkpoint_s_passes_that_do_not_make_a_schedule_are_an_error(string text)
    {
        var error = Assert.Throws<FormatException>(() => PassSchedule.Parse(text));
        Assert.Contains($"'{text}'", error.Message);
    }
}
