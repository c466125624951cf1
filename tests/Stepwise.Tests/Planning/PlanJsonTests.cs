using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Tests.Planning;

public class PlanJsonTests
{
    /// <summary>A plan exactly as Stepwise stored it before the format had a version (enums as numbers, no Done).</summary>
    private const string FormatOnePlan = """
        {"Start":[{"Description":"create index public.t_a_idx","Kind":0,"Sql":"CREATE INDEX CONCURRENTLY \"t_a_idx\" ON \"public\".\"t\" (\"a\")","InTransaction":false,"Lock":4,"LockTarget":"public.t","Backfill":null,"Operation":0}],
         "Complete":[],"Rollback":[{"Description":"drop index public.t_a_idx","Kind":0,"Sql":"DROP INDEX CONCURRENTLY IF EXISTS \"public\".\"t_a_idx\"","InTransaction":false,"Lock":4,"LockTarget":"public.t","Backfill":null,"Operation":0}],
         "Kept":[]}
        """;

    [Fact]
    public void A_plan_stored_before_the_format_had_a_version_still_loads()
    {
        var plan = PlanJson.Read(FormatOnePlan);

        var step = Assert.Single(plan.Start);
        Assert.Equal(("create index public.t_a_idx", StepKind.Sql, false, "public.t"), (step.Description, step.Kind, step.InTransaction, step.LockTarget));
        Assert.Null(step.Done);
        Assert.Single(plan.Rollback);
    }

    [Fact]
    public void A_plan_round_trips_with_its_format_and_each_steps_done_check()
    {
        var step = new Step
        {
            Description = "create index", Sql = "CREATE INDEX CONCURRENTLY i ON t (a)", InTransaction = false,
            Done = new DoneCheck(DoneCheckKind.IndexBuilt, "\"i\""),
        };
        var json = PlanJson.Write(new Plan([step], [], []));

        var read = PlanJson.Read(json);

        Assert.StartsWith($"{{\"Format\":{PlanJson.CurrentFormat},", json);
        Assert.Contains("\"Kind\":\"IndexBuilt\"", json);
        Assert.Equal(step, Assert.Single(read.Start));
    }

    [Fact]
    public void A_plan_from_a_newer_Stepwise_is_refused()
    {
        var ex = Assert.Throws<FormatException>(() => PlanJson.Read("""{"Format":99,"Start":[],"Complete":[],"Rollback":[]}"""));

        Assert.Contains("format 99", ex.Message);
        Assert.Contains("upgrade Stepwise", ex.Message);
    }

    [Theory]
    [InlineData("CREATE INDEX CONCURRENTLY i ON s.t (a)", DoneCheckKind.IndexBuilt, "\"s\".\"i\"", false)]
    [InlineData("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)", DoneCheckKind.IndexBuilt, "\"i\"", true)]
    [InlineData("DROP INDEX CONCURRENTLY s.i", DoneCheckKind.IndexDropped, "\"s\".\"i\"", false)]
    public void A_statement_outside_a_transaction_says_how_to_tell_it_happened(string sql, DoneCheckKind kind, string index, bool ifNotExists)
    {
        Assert.Equal(new DoneCheck(kind, index, ifNotExists), DoneCheck.For(SqlParser.Parse(sql).Statements[0].Tree));
    }

    [Theory]
    [InlineData("DROP INDEX CONCURRENTLY IF EXISTS i")]
    [InlineData("CREATE INDEX i ON t (a)")]
    [InlineData("DO $$ BEGIN COMMIT; END $$")]
    public void A_statement_that_is_harmless_to_run_again_needs_no_check(string sql)
    {
        Assert.Null(DoneCheck.For(SqlParser.Parse(sql).Statements[0].Tree));
    }
}
