using Stepwise.Execution;

namespace Stepwise.IntegrationTests.Execution;

public class RollbackTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static MigrationWorkspace Three(MigrationWorkspace ws) => ws
        .Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);\n-- stepwise:down\nDROP TABLE a;")
        .Write("2_b.sql", "-- stepwise:up\nCREATE TABLE b (id int);\n-- stepwise:down\nDROP TABLE b;")
        .Write("3_idx.sql", "-- stepwise:up\nCREATE INDEX CONCURRENTLY b_idx ON b (id);\n-- stepwise:down\nDROP INDEX CONCURRENTLY b_idx;")
        .WriteSum();

    [Fact]
    public async Task Rollback_runs_down_sections_newest_first()
    {
        await using var ws = Three(await MigrationWorkspace.CreateAsync(fixture));
        var migrator = ws.Migrator();
        await migrator.ApplyAsync(new ApplyRequest());

        var one = await migrator.RollbackAsync();
        var toFirst = await migrator.RollbackAsync(toVersion: 1);
        var status = await migrator.StatusAsync();

        Assert.Equal(["3_idx.sql"], one.Runs.Select(r => r.Migration.FileName));
        Assert.Equal(["2_b.sql"], toFirst.Runs.Select(r => r.Migration.FileName));
        Assert.Equal([MigrationState.Applied, MigrationState.Pending, MigrationState.Pending], status.Entries.Select(e => e.State));
        Assert.Null(await ws.ScalarAsync<string>("SELECT to_regclass('b')::text"));
        Assert.Equal(2L, await ws.ScalarAsync<long>("SELECT count(*) FROM stepwise.events WHERE action = 'rolled back'"));

        await migrator.ApplyAsync(new ApplyRequest());
        Assert.False((await migrator.StatusAsync()).NeedsAttention);
    }

    [Fact]
    public async Task Rollback_refuses_a_migration_without_a_down_section_and_changes_nothing()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);\n-- stepwise:down\nDROP TABLE a;")
          .Write("2_b.sql", "-- stepwise:up\nCREATE TABLE b (id int);")
          .WriteSum();
        var migrator = ws.Migrator();
        await migrator.ApplyAsync(new ApplyRequest());

        var ex = await Assert.ThrowsAsync<MigrationRefusedException>(() => migrator.RollbackAsync(steps: 2));

        Assert.Equal("no-down-section", Assert.Single(ex.Problems).Code);
        Assert.NotNull(await ws.ScalarAsync<string>("SELECT to_regclass('a')::text"));
        Assert.NotNull(await ws.ScalarAsync<string>("SELECT to_regclass('b')::text"));
    }

    [Fact]
    public async Task Baseline_marks_migrations_applied_without_running_them_and_refuses_a_second_time()
    {
        await using var ws = Three(await MigrationWorkspace.CreateAsync(fixture));
        await ws.ExecuteAsync("CREATE TABLE a (id int); CREATE TABLE b (id int)");
        var migrator = ws.Migrator();

        var adopted = await migrator.BaselineAsync(2);
        var status = await migrator.StatusAsync();
        var ex = await Assert.ThrowsAsync<MigrationRefusedException>(() => migrator.BaselineAsync(3));
        var applied = await migrator.ApplyAsync(new ApplyRequest());

        Assert.Equal(["1_a.sql", "2_b.sql"], adopted.Select(m => m.FileName));
        Assert.Equal([MigrationState.Applied, MigrationState.Applied, MigrationState.Pending], status.Entries.Select(e => e.State));
        Assert.Contains("already has migration history", ex.Message);
        Assert.Equal(["3_idx.sql"], applied.Runs.Select(r => r.Migration.FileName));
    }

    [Fact]
    public async Task Repair_clears_failed_attempts()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nSELECT 1/0;").WriteSum();
        var migrator = ws.Migrator();
        await Assert.ThrowsAsync<MigrationFailedException>(() => migrator.ApplyAsync(new ApplyRequest()));

        var changes = await migrator.RepairAsync(apply: true);

        Assert.StartsWith("clear the failed attempt", Assert.Single(changes).Action);
        Assert.Equal(MigrationState.Pending, (await migrator.StatusAsync()).Entries[0].State);
    }
}
