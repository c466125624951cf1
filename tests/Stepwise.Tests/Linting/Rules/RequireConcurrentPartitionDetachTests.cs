using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class RequireConcurrentPartitionDetachTests
{
    [Theory]
    [InlineData("ALTER TABLE events DETACH PARTITION events_2023;", "events", "events_2023")]
    [InlineData("ALTER TABLE app.events DETACH PARTITION app.events_2023;", "app.events", "app.events_2023")]
    [InlineData("DO $$ BEGIN ALTER TABLE events DETACH PARTITION events_2023; END $$;", "events", "events_2023")]
    public void Flags_a_detach_that_locks_the_partitioned_table(string sql, string parent, string partition)
    {
        var finding = LintAssert.Flags<RequireConcurrentPartitionDetach>(sql);

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Contains($"ALTER TABLE {parent} DETACH PARTITION {partition} without CONCURRENTLY takes ACCESS EXCLUSIVE on {parent} and ACCESS EXCLUSIVE on {partition}", finding.Message);
        Assert.Contains($"every read and write through {parent} queues behind it", finding.Message);
        Assert.Contains("DETACH PARTITION events_2023 CONCURRENTLY", finding.Fix);
    }

    [Fact]
    public void In_a_migration_the_lock_is_held_until_commit()
    {
        var finding = LintAssert.Flags<RequireConcurrentPartitionDetach>("-- stepwise:up\nALTER TABLE events DETACH PARTITION events_2023;\n");

        Assert.Contains("until the transaction commits", finding.Message);
    }

    [Theory]
    [InlineData("ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;")]
    [InlineData("ALTER TABLE events DETACH PARTITION events_2023 FINALIZE;")]
    [InlineData("ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');")]
    [InlineData("CREATE TABLE events (at date) PARTITION BY RANGE (at); CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01'); ALTER TABLE events DETACH PARTITION events_2023;")]
    public void Passes_concurrent_detaches_other_partition_commands_and_tables_created_in_the_file(string sql)
    {
        LintAssert.Passes<RequireConcurrentPartitionDetach>(sql);
    }

    [Fact]
    public void Before_PostgreSQL_14_there_is_nothing_to_suggest()
    {
        LintAssert.Passes<RequireConcurrentPartitionDetach>("ALTER TABLE events DETACH PARTITION events_2023;", new LintOptions { PostgresVersion = 13 });
    }
}
