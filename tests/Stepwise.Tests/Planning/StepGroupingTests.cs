using Stepwise.Planning;

namespace Stepwise.Tests.Planning;

public class StepGroupingTests
{
    private const string T = "\"public\".\"workflow_runs\"";

    private static Step Sql(string description, string sql, LockLevel level = LockLevel.AccessExclusive, bool inTransaction = true) =>
        new() { Description = description, Sql = sql, Lock = level, LockTarget = "public.workflow_runs", InTransaction = inTransaction };

    private static readonly Step AddColumn = Sql("add column", $"ALTER TABLE {T} ADD COLUMN \"organization_id\" uuid");
    private static readonly Step FillFunction = Sql("fill function", "CREATE OR REPLACE FUNCTION \"public\".\"fill\"() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$", LockLevel.None);
    private static readonly Step FillTrigger = Sql("fill trigger", $"CREATE TRIGGER \"fill\" BEFORE INSERT ON {T} FOR EACH ROW EXECUTE FUNCTION \"public\".\"fill\"()", LockLevel.ShareRowExclusive);
    private static readonly Step Check = Sql("NOT VALID check", $"ALTER TABLE {T} ADD CONSTRAINT \"c\" CHECK (\"organization_id\" IS NOT NULL) NOT VALID");
    private static readonly Step ForeignKey = Sql("NOT VALID fk", $"ALTER TABLE {T} ADD CONSTRAINT \"fk\" FOREIGN KEY (\"organization_id\") REFERENCES \"public\".\"organizations\" (\"id\") NOT VALID", LockLevel.ShareRowExclusive);
    private static readonly Step Validate = Sql("validate", $"ALTER TABLE {T} VALIDATE CONSTRAINT \"c\"", LockLevel.ShareUpdateExclusive);
    private static readonly Step SetNotNull = Sql("set not null", $"ALTER TABLE {T} ALTER COLUMN \"organization_id\" SET NOT NULL");
    private static readonly Step DropCheck = Sql("drop check", $"ALTER TABLE {T} DROP CONSTRAINT IF EXISTS \"c\"");
    private static readonly Step Index = Sql("index", $"CREATE INDEX CONCURRENTLY \"i\" ON {T} (\"organization_id\")", LockLevel.ShareUpdateExclusive, inTransaction: false);

    private static Plan Start(params Step[] steps) => new(steps, [], []);

    [Fact]
    public void The_reference_start_takes_the_table_lock_once_for_its_four_catalog_steps()
    {
        var grouped = StepGrouping.Group(Start(AddColumn, FillFunction, FillTrigger, Check, ForeignKey, Validate, Index));

        Assert.Equal(3, grouped.Start.Count);
        var first = grouped.Start[0];
        Assert.Equal(LockLevel.AccessExclusive, first.Lock);
        Assert.True(first.InTransaction);
        Assert.StartsWith("one transaction, one lock wait on public.workflow_runs: add column; fill function; fill trigger; NOT VALID check; NOT VALID fk", first.Description);
        Assert.Equal(5, Stepwise.Sql.SqlParser.Parse(first.Sql!).Statements.Count);
        Assert.Equal([Validate, Index], grouped.Start.Skip(1));
    }

    [Fact]
    public void Steps_that_read_or_write_rows_split_groups()
    {
        var grouped = StepGrouping.Group(Start(AddColumn, Validate, Check));

        Assert.Equal([AddColumn, Validate, Check], grouped.Start);
    }

    [Fact]
    public void Steps_on_different_tables_are_not_grouped()
    {
        var other = Sql("other", "ALTER TABLE \"public\".\"workflows\" ADD COLUMN \"x\" int");

        var grouped = StepGrouping.Group(Start(AddColumn, other));

        Assert.Equal([AddColumn, other], grouped.Start);
    }

    [Fact]
    public void A_column_default_that_is_not_a_constant_rewrites_rows_and_is_not_grouped()
    {
        var volatileDefault = Sql("add column", $"ALTER TABLE {T} ADD COLUMN \"at\" timestamptz DEFAULT clock_timestamp()");
        var constantDefault = Sql("add column", $"ALTER TABLE {T} ADD COLUMN \"n\" int DEFAULT 0");

        Assert.Equal([volatileDefault, Check], StepGrouping.Group(Start(volatileDefault, Check)).Start);
        Assert.Single(StepGrouping.Group(Start(constantDefault, Check)).Start);
    }

    [Fact]
    public void Set_not_null_joins_a_group_only_when_the_plan_validates_a_check_on_the_table()
    {
        var withCheck = StepGrouping.Group(new Plan([Check, Validate], [SetNotNull, DropCheck], []));
        var withoutCheck = StepGrouping.Group(new Plan([], [SetNotNull, DropCheck], []));

        Assert.Single(withCheck.Complete);
        Assert.Equal([SetNotNull, DropCheck], withoutCheck.Complete);
    }

    [Fact]
    public void A_function_after_the_last_strong_step_stays_a_step_of_its_own()
    {
        var grouped = StepGrouping.Group(Start(AddColumn, Check, FillFunction));

        Assert.Equal(2, grouped.Start.Count);
        Assert.Equal(FillFunction, grouped.Start[1]);
    }

    [Fact]
    public void Rollback_drops_are_grouped_too()
    {
        var dropTrigger = Sql("drop trigger", $"DROP TRIGGER IF EXISTS \"fill\" ON {T}");
        var dropFunction = Sql("drop function", "DROP FUNCTION IF EXISTS \"public\".\"fill\"()", LockLevel.None);
        var dropColumn = Sql("drop column", $"ALTER TABLE {T} DROP COLUMN IF EXISTS \"organization_id\"");

        var grouped = StepGrouping.Group(new Plan([], [], [DropCheck, dropTrigger, dropFunction, dropColumn]));

        Assert.Single(grouped.Rollback);
        Assert.Equal(4, Stepwise.Sql.SqlParser.Parse(grouped.Rollback[0].Sql!).Statements.Count);
    }
}
