using Stepwise.Execution;

namespace Stepwise.Tests.Execution;

public class HistoryStatusTests
{
    [Fact]
    public void Every_status_has_its_own_text_that_reads_back_as_itself()
    {
        var texts = HistoryStatuses.All.Select(s => s.Text()).ToList();

        Assert.Equal(Enum.GetValues<HistoryStatus>(), HistoryStatuses.All);
        Assert.Equal(texts.Count, texts.Distinct().Count());
        Assert.All(HistoryStatuses.All, s => Assert.Equal(s, HistoryStatuses.Parse(s.Text())));
        Assert.Equal("rolling back", HistoryStatus.RollingBack.Text());
    }

    [Fact]
    public void An_unknown_status_text_is_an_error_naming_it()
    {
        var ex = Assert.Throws<FormatException>(() => HistoryStatuses.Parse("paused"));

        Assert.Contains("'paused'", ex.Message);
    }

    [Fact]
    public void Every_status_is_reachable_from_no_row_and_every_one_can_end()
    {
        Assert.All(HistoryStatuses.All, s => Assert.True(Reachable(null).Contains(s), $"{s} cannot be reached from no row"));
        Assert.All(HistoryStatuses.All, s => Assert.True(Reachable(s).Contains(HistoryStatus.Applied) || HistoryStatuses.Allows(s, null), $"{s} is a dead end"));
    }

    [Theory]
    [InlineData(HistoryStatus.Started, HistoryStatus.Applied)] // complete must run first
    [InlineData(HistoryStatus.Completing, HistoryStatus.RollingBack)] // once complete began, only complete finishes it
    [InlineData(HistoryStatus.RollingBack, HistoryStatus.Started)]
    [InlineData(HistoryStatus.Reverting, HistoryStatus.Applied)] // an interrupted rollback is finished, not undone
    [InlineData(HistoryStatus.Applied, HistoryStatus.Partial)]
    [InlineData(HistoryStatus.Applied, HistoryStatus.Starting)]
    public void Moves_the_lifecycle_forbids_are_not_allowed(HistoryStatus from, HistoryStatus to)
    {
        Assert.False(HistoryStatuses.Allows(from, to));
    }

    [Theory]
    [InlineData(null, HistoryStatus.Partial)]
    [InlineData(HistoryStatus.Partial, HistoryStatus.Applied)]
    [InlineData(HistoryStatus.Started, HistoryStatus.Completing)]
    [InlineData(HistoryStatus.Started, HistoryStatus.RollingBack)]
    [InlineData(HistoryStatus.Applied, null)]
    [InlineData(HistoryStatus.Partial, HistoryStatus.Partial)]
    public void Moves_apply_rollback_and_complete_make_are_allowed(HistoryStatus? from, HistoryStatus? to)
    {
        Assert.True(HistoryStatuses.Allows(from, to));
    }

    [Theory]
    [InlineData(HistoryStatus.Starting, "apply")]
    [InlineData(HistoryStatus.Partial, "apply")]
    [InlineData(HistoryStatus.Completing, "complete")]
    [InlineData(HistoryStatus.Reverting, "rollback")]
    [InlineData(HistoryStatus.RollingBack, "rollback")]
    public void An_interrupted_status_names_the_command_that_resumes_it(HistoryStatus status, string command)
    {
        Assert.Equal(command, status.ResumeCommand());
    }

    private static HashSet<HistoryStatus?> Reachable(HistoryStatus? from)
    {
        var seen = new HashSet<HistoryStatus?>();
        var queue = new Queue<HistoryStatus?>([from]);
        while (queue.Count > 0)
        {
            var current = queue.Dequeue();
            foreach (var (_, to, _) in HistoryStatuses.Transitions.Where(t => t.From == current))
            {
                if (seen.Add(to) && to is not null)
                {
                    queue.Enqueue(to);
                }
            }
        }
        return seen;
    }
}
