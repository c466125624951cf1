using Stepwise.Execution.Locking;
using Stepwise.Planning;

namespace Stepwise.Tests.Execution;

public class LockDecisionTests
{
    private static readonly TimeSpan DeadlockTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(50);
    private static readonly LockPolicy Policy = new();

    private static LockHolder Holder(HolderKind kind, double ageSeconds, double stateSeconds = 0, int pid = 100) =>
        new(pid, "app", kind, TimeSpan.FromSeconds(ageSeconds), TimeSpan.FromSeconds(stateSeconds), LockLevel.AccessShare, "public.t", "SELECT 1");

    [Fact]
    public void No_holder_means_an_attempt_with_the_current_timeout()
    {
        Assert.Equal(new LockAction.Attempt(Timeout), LockDecision.Decide([], Policy, Timeout, true, DeadlockTimeout));
    }

    [Fact]
    public void Short_holders_are_queued_behind_with_the_current_timeout()
    {
        Assert.Equal(new LockAction.Attempt(Timeout), LockDecision.Decide([Holder(HolderKind.Active, 0.2)], Policy, Timeout, true, DeadlockTimeout));
    }

    [Fact]
    public void An_autovacuum_is_cancelled_first()
    {
        var autovacuum = Holder(HolderKind.Autovacuum, 30, pid: 7);

        var action = LockDecision.Decide([Holder(HolderKind.Active, 0.1), autovacuum], Policy, Timeout, true, DeadlockTimeout);

        Assert.Equal(new LockAction.CancelAutovacuum(autovacuum), action);
    }

    [Fact]
    public void An_autovacuum_that_may_not_be_cancelled_is_waited_out_when_the_bound_is_below_deadlock_timeout()
    {
        var action = LockDecision.Decide([Holder(HolderKind.Autovacuum, 30)], Policy, Timeout, mayCancelAutovacuum: false, DeadlockTimeout);

        Assert.IsType<LockAction.WaitOut>(action);
    }

    [Fact]
    public void An_autovacuum_that_may_not_be_cancelled_is_queued_behind_past_deadlock_timeout_when_the_bound_allows()
    {
        var action = LockDecision.Decide([Holder(HolderKind.Autovacuum, 30)], Policy with { MaxLockWait = TimeSpan.FromSeconds(2) }, Timeout, false, DeadlockTimeout);

        Assert.Equal(new LockAction.Attempt(DeadlockTimeout + LockDecision.QueuePastDeadlockTimeout), action);
    }

    [Fact]
    public void With_cancelling_turned_off_an_autovacuum_is_waited_out()
    {
        var action = LockDecision.Decide([Holder(HolderKind.Autovacuum, 30)], Policy with { CancelAutovacuum = false }, Timeout, true, DeadlockTimeout);

        Assert.IsType<LockAction.WaitOut>(action);
    }

    [Fact]
    public void An_autovacuum_preventing_wraparound_is_never_cancelled_and_is_waited_out()
    {
        var wraparound = Holder(HolderKind.WraparoundAutovacuum, 0.1);

        var action = LockDecision.Decide([wraparound], Policy, Timeout, true, DeadlockTimeout);

        Assert.Equal([wraparound], Assert.IsType<LockAction.WaitOut>(action).Holders);
    }

    [Fact]
    public void A_holder_older_than_the_bound_is_waited_out_rather_than_queued_behind()
    {
        var old = Holder(HolderKind.Active, 1.5);

        var action = LockDecision.Decide([Holder(HolderKind.Active, 0.1), old], Policy, Timeout, true, DeadlockTimeout);

        Assert.Equal([old], Assert.IsType<LockAction.WaitOut>(action).Holders);
    }

    [Fact]
    public void An_idle_in_transaction_holder_is_terminated_only_with_the_option_and_past_its_idle_time()
    {
        var idle = Holder(HolderKind.IdleInTransaction, 20, stateSeconds: 15);

        Assert.IsType<LockAction.WaitOut>(LockDecision.Decide([idle], Policy, Timeout, true, DeadlockTimeout));
        Assert.IsType<LockAction.WaitOut>(LockDecision.Decide([idle], Policy with { TerminateIdleAfter = TimeSpan.FromSeconds(30) }, Timeout, true, DeadlockTimeout));
        Assert.Equal(new LockAction.TerminateIdle(idle), LockDecision.Decide([idle], Policy with { TerminateIdleAfter = TimeSpan.FromSeconds(10) }, Timeout, true, DeadlockTimeout));
    }

    [Fact]
    public void The_fixed_policies_never_look()
    {
        var fixedPolicy = Policy with { LookFirst = false };

        Assert.Equal(new LockAction.Attempt(Timeout), LockDecision.Decide([Holder(HolderKind.Autovacuum, 30)], fixedPolicy, Timeout, true, DeadlockTimeout));
    }

    [Fact]
    public void The_timeout_doubles_and_reaches_what_the_tables_transactions_take_but_never_the_bound()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(100), Policy.Raise(Timeout, TimeSpan.Zero));
        Assert.Equal(TimeSpan.FromMilliseconds(375), Policy.Raise(Timeout, TimeSpan.FromMilliseconds(300)));
        Assert.Equal(Policy.MaxLockWait, Policy.Raise(TimeSpan.FromMilliseconds(800), TimeSpan.Zero));
        Assert.Equal(Timeout, (Policy with { LookFirst = false }).Raise(Timeout, TimeSpan.FromMilliseconds(300)));
    }

    [Theory]
    [InlineData("autovacuum worker", "active", "autovacuum: VACUUM public.t", "Autovacuum")]
    [InlineData("autovacuum worker", "active", "autovacuum: VACUUM public.t (to prevent wraparound)", "WraparoundAutovacuum")]
    [InlineData("client backend", "idle in transaction", "SELECT 1", "IdleInTransaction")]
    [InlineData("client backend", "active", "VACUUM (VERBOSE) t", "ManualVacuum")]
    [InlineData("client backend", "active", "SELECT * FROM t", "Active")]
    public void Holders_are_classified_from_pg_stat_activity(string backendType, string state, string query, string kind)
    {
        Assert.Equal(kind, LockHolders.Classify(backendType, state, query).ToString());
    }
}
