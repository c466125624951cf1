using Stepwise.Migrations;
using Stepwise.Planning;
using Stepwise.Tests.Migrations;

namespace Stepwise.Tests.Planning;

/// <summary>A SQL migration's sections compile to the steps the executor runs, without a database.</summary>
public class SectionStepsTests
{
    private static Migration Load(string text)
    {
        using var dir = new TempDirectory();
        dir.Write("1_m.sql", text);
        return MigrationDirectory.Load(dir.Path).Versioned.Single();
    }

    [Fact]
    public void A_section_that_runs_in_one_transaction_is_one_transaction_step_holding_its_statements_then_its_assertions()
    {
        var m = Load("-- stepwise:up\nCREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN b int;\n-- stepwise:assert has_b\nSELECT 1 FROM a WHERE b IS NULL;\n-- stepwise:down\nDROP TABLE a;\n");

        var step = Assert.Single(m.Up!.Steps);

        Assert.Equal(StepKind.Transaction, step.Kind);
        Assert.Equal([StepKind.Sql, StepKind.Sql, StepKind.Assert], step.Group!.Select(s => s.Kind));
        Assert.Equal(["CREATE TABLE a (id int)", "ALTER TABLE a ADD COLUMN b int", "SELECT 1 FROM a WHERE b IS NULL"], step.Group!.Select(s => s.Sql));
        Assert.Equal([2, 3, 5], step.Group!.Select(s => s.Statement!.Span.StartLine));
        Assert.Equal("public.a", step.Group![1].LockTarget);
        Assert.Equal(StepKind.Transaction, Assert.Single(m.Down!.Steps).Kind);
    }

    [Fact]
    public void A_section_with_a_concurrent_index_is_one_step_per_statement_each_saying_its_transaction_and_done_check()
    {
        var m = Load("-- stepwise:up\nCREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_idx ON a (id);\nDROP INDEX CONCURRENTLY a_old;\n-- stepwise:assert ok\nSELECT true;\n");

        var steps = m.Up!.Steps;

        Assert.Equal([StepKind.Sql, StepKind.Sql, StepKind.Sql, StepKind.Assert], steps.Select(s => s.Kind));
        Assert.Equal([true, false, false, true], steps.Select(s => s.InTransaction));
        Assert.Null(steps[0].Done);
        Assert.Equal(DoneCheckKind.IndexBuilt, steps[1].Done!.Kind);
        Assert.Contains("\"a_idx\"", steps[1].Done!.Index);
        Assert.Equal(DoneCheckKind.IndexDropped, steps[2].Done!.Kind);
        Assert.Equal("CREATE INDEX at line 3", steps[1].Description);
        Assert.Equal("assertion 'ok'", steps[3].Description);
    }

    [Fact]
    public void A_no_transaction_file_runs_statement_by_statement_even_when_every_statement_could_share_one()
    {
        var m = Load("-- stepwise:no-transaction\n-- stepwise:up\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\n");

        Assert.Equal([StepKind.Sql, StepKind.Sql], m.Up!.Steps.Select(s => s.Kind));
        Assert.All(m.Up.Steps, s => Assert.True(s.InTransaction));
    }

    [Fact]
    public void A_compiled_step_stores_without_its_parsed_statement_and_a_plan_without_groups_keeps_its_stored_shape()
    {
        var m = Load("-- stepwise:up\nCREATE TABLE a (id int);\n");
        var plan = new Plan([new Step { Description = "x", Sql = "SELECT 1" }], [], []);

        var stored = PlanJson.Write(new Plan(m.Up!.Steps, [], []));

        Assert.DoesNotContain("Statement", stored);
        Assert.Contains("\"Group\":[{", stored);
        Assert.DoesNotContain("Group", PlanJson.Write(plan));
    }
}
