using System.Diagnostics;
using Npgsql;
using Stepwise.Execution;

namespace Stepwise.IntegrationTests.Execution;

public class LockTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task A_blocked_migration_waits_lock_timeout_retries_and_succeeds_without_stalling_other_sessions()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("CREATE TABLE workflow_runs (id int); INSERT INTO workflow_runs VALUES (1)");
        ws.Write("1_add.sql", "-- stepwise:up\nALTER TABLE workflow_runs ADD COLUMN organization_id uuid;\n").WriteSum();
        var maxLockWait = TimeSpan.FromMilliseconds(300);

        // A long transaction that has read the table holds ACCESS SHARE until it ends.
        await using var blocker = new NpgsqlConnection(ws.ConnectionString + ";Application Name=long-report");
        await blocker.OpenAsync();
        await using var blockerTx = await blocker.BeginTransactionAsync();
        await using (var read = new NpgsqlCommand("SELECT count(*) FROM workflow_runs", blocker, blockerTx))
        {
            await read.ExecuteScalarAsync();
        }

        var apply = ws.Migrator(o =>
        {
            o.MaxLockWait = maxLockWait;
            o.LockPolicy = Stepwise.Execution.Locking.LockPolicy.From(o) with { ProgressInterval = TimeSpan.FromMilliseconds(500) };
        }).ApplyAsync(new ApplyRequest());

        // Meanwhile ordinary readers keep going: while the ALTER waits in the lock queue they wait behind
        // it, but never longer than the bound before it gives up its place; once the blocker is older than the
        // bound, the ALTER waits it out without queueing at all.
        var longestRead = TimeSpan.Zero;
        await using var reader = new NpgsqlConnection(ws.ConnectionString);
        await reader.OpenAsync();
        var until = Stopwatch.StartNew();
        while (until.Elapsed < TimeSpan.FromSeconds(3))
        {
            var watch = Stopwatch.StartNew();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM workflow_runs", reader);
            await command.ExecuteScalarAsync();
            longestRead = watch.Elapsed > longestRead ? watch.Elapsed : longestRead;
            await Task.Delay(20);
        }
        Assert.False(apply.IsCompleted);
        await blockerTx.RollbackAsync();
        var result = await apply;

        Assert.Single(result.Runs);
        // Without lock_timeout a reader would wait behind the queued ALTER for the whole 3 s the blocker
        // holds; the slack covers scheduling on a busy 2-core CI machine.
        Assert.True(longestRead < maxLockWait + TimeSpan.FromMilliseconds(900), $"a reader waited {longestRead.TotalMilliseconds} ms");
        // The blocker is older than the bound: the ALTER waits it out, saying who it waits for.
        var waits = ws.Log.Entries.Where(e => e.Id is { Id: 1004 or 1013 }).ToList(); // LockTimeoutRetry, LockWaiting
        Assert.Contains(waits, e => e.Id == EventIds.LockWaiting && e.Message.Contains("1_add.sql: waiting for a quiet moment on workflow_runs", StringComparison.Ordinal));
        Assert.Contains(waits, e => e.Message.Contains("application 'long-report'") && e.Message.Contains("SELECT count(*) FROM workflow_runs"));
    }

    [Fact]
    public async Task The_lock_deadline_ends_the_run_rolled_back_naming_the_blocker()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("CREATE TABLE t (id int)");
        ws.Write("1_add.sql", "-- stepwise:up\nCREATE TABLE side (id int);\nALTER TABLE t ADD COLUMN b int;\n").WriteSum();
        await using var blocker = new NpgsqlConnection(ws.ConnectionString);
        await blocker.OpenAsync();
        await using var tx = await blocker.BeginTransactionAsync();
        await using (var read = new NpgsqlCommand("LOCK TABLE t IN ACCESS SHARE MODE", blocker, tx))
        {
            await read.ExecuteNonQueryAsync();
        }

        var ex = await Assert.ThrowsAsync<MigrationFailedException>(() => ws.Migrator(o =>
        {
            o.MaxLockWait = TimeSpan.FromSeconds(2);
            o.LockDeadline = TimeSpan.FromSeconds(1);
        }).ApplyAsync(new ApplyRequest()));

        Assert.Equal(3, ex.Line);
        Assert.Contains("could not get ACCESS EXCLUSIVE on t within the lock deadline (1.0 s)", ex.Message);
        Assert.Contains($"blockers seen: pid {blocker.ProcessID} (idle in transaction", ex.Message);
        Assert.Contains("LOCK TABLE t IN ACCESS SHARE MODE", ex.Message);
        Assert.Contains("run stepwise apply again", ex.NextStep);
        Assert.Contains(ws.Log.Entries, e => e.Id == EventIds.LockTimeoutRetry);
        Assert.Null(await ws.ScalarAsync<string>("SELECT to_regclass('side')::text"));
    }

    [Fact]
    public async Task The_files_lock_timeout_directive_overrides_the_default()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:lock-timeout 750ms\n-- stepwise:up\n-- stepwise:statement-timeout 3s\nCREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lt, current_setting('statement_timeout') AS st;\n").WriteSum();

        await ws.Migrator().ApplyAsync(new ApplyRequest());

        Assert.Equal("750ms", await ws.ScalarAsync<string>("SELECT lt FROM seen"));
        Assert.Equal("3s", await ws.ScalarAsync<string>("SELECT st FROM seen"));
    }

    [Fact]
    public async Task Each_migration_runs_under_its_own_statement_timeout_not_the_previous_ones()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_tight.sql", "-- stepwise:up\n-- stepwise:statement-timeout 100ms\nCREATE TABLE a (id int);\n");
        ws.Write("2_patient.sql", "-- stepwise:up\n-- stepwise:statement-timeout 5s\nSELECT pg_sleep(0.3);\n");
        ws.Write("3_too_slow.sql", "-- stepwise:up\n-- stepwise:statement-timeout 100ms\nSELECT pg_sleep(2);\n").WriteSum();

        var ex = await Assert.ThrowsAsync<MigrationFailedException>(() => ws.Migrator().ApplyAsync(new ApplyRequest()));

        Assert.Equal("57014", ex.SqlState);
        Assert.Equal(3, ex.Line);
        Assert.EndsWith("3_too_slow.sql", ex.File);
        Assert.Equal(2L, await ws.ScalarAsync<long>("SELECT count(*) FROM stepwise.migrations WHERE status = 'applied'"));
    }

    [Fact]
    public async Task Concurrent_runners_apply_each_migration_exactly_once()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("CREATE TABLE applied_by (file text, pid int)");
        for (var i = 1; i <= 10; i++)
        {
            ws.Write($"{i}_m.sql", $"-- stepwise:up\nINSERT INTO applied_by VALUES ('{i}', pg_backend_pid());\nSELECT pg_sleep(0.02);\n");
        }
        ws.WriteSum();

        var runs = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => ws.Migrator().ApplyAsync(new ApplyRequest()))));

        Assert.Equal(10, runs.Sum(r => r.Runs.Count));
        Assert.Equal(10L, await ws.ScalarAsync<long>("SELECT count(*) FROM applied_by"));
        Assert.Equal(10L, await ws.ScalarAsync<long>("SELECT count(DISTINCT file) FROM applied_by"));
    }

    [Fact]
    public async Task A_second_runner_that_may_not_wait_says_who_holds_the_lock()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_slow.sql", "-- stepwise:up\nSELECT pg_sleep(2);\n").WriteSum();
        var first = ws.Migrator(o => o.ApplicationName = "deploy-a").ApplyAsync(new ApplyRequest());
        await WaitUntil(async () => await ws.ScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") > 0);

        var ex = await Assert.ThrowsAsync<MigrationLockBusyException>(() => ws.Migrator(o => o.WaitForLock = false).ApplyAsync(new ApplyRequest()));
        await first;

        Assert.Contains("application 'deploy-a'", ex.Message);
    }

    private static async Task WaitUntil(Func<Task<bool>> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "timed out waiting");
            await Task.Delay(20);
        }
    }
}
