using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Stepwise.Execution;
using Stepwise.Execution.Locking;
using Stepwise.Hosting;
using Stepwise.IntegrationTests.Hosting;

namespace Stepwise.IntegrationTests.Execution;

/// <summary>The lock policy against real sessions in the way: autovacuum, VACUUM, idle and long transactions, busy traffic.</summary>
public class LockPolicyTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const string AddNote = "operations:\n  - add_column:\n      table: t\n      column: { name: note, type: text, nullable: true }\n";

    private static async Task<NpgsqlConnection> OpenAsync(MigrationWorkspace ws, string application)
    {
        var connection = new NpgsqlConnection(ws.ConnectionString + $";Application Name={application}");
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Waits until <paramref name="sql"/> returns true, or fails the test.</summary>
    private static async Task UntilAsync(NpgsqlConnection connection, string sql, TimeSpan limit, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await ScalarAsync<bool>(connection, sql))
        {
            Assert.True(clock.Elapsed < limit, $"{what} did not happen within {limit.TotalSeconds} s");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_running_autovacuum_on_the_table_is_cancelled_and_the_step_succeeds()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        // A real autovacuum, made slow: every page it touches costs a 100 ms nap. Dead tuples on 400+ pages keep it
        // busy for a minute; the launcher looks every second.
        await ws.ExecuteAsync("""
            ALTER SYSTEM SET autovacuum_naptime = '1s'; SELECT pg_reload_conf();
            CREATE TABLE t (id int, filler text) WITH (autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1,
                autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0, autovacuum_analyze_threshold = 2000000000);
            INSERT INTO t SELECT g, repeat('x', 100) FROM generate_series(1, 30000) g;
            DELETE FROM t;
            """);
        ws.Write("1_note.yaml", AddNote).WriteSum();
        await using var observer = await OpenAsync(ws, "test-observer");
        await UntilAsync(observer, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND query LIKE '%public.t%')",
            TimeSpan.FromSeconds(60), "an autovacuum of t");
        var autovacuum = await ScalarAsync<int>(observer, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND query LIKE '%public.t%'");

        var clock = Stopwatch.StartNew();
        await ws.Migrator().ApplyAsync(new ApplyRequest());

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"apply took {clock.Elapsed.TotalSeconds:F1} s behind an autovacuum");
        Assert.Contains(ws.Log.Entries, e => e.Id == EventIds.AutovacuumCancelled && e.Message.Contains($"cancelled the autovacuum of public.t (pid {autovacuum})", StringComparison.Ordinal));
        Assert.True(await ws.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'note')"));
    }

    [Fact]
    public async Task A_manual_vacuum_is_waited_for_and_named_without_queueing()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("""
            CREATE TABLE t (id int, filler text) WITH (autovacuum_enabled = off);
            INSERT INTO t SELECT g, repeat('x', 100) FROM generate_series(1, 30000) g;
            DELETE FROM t;
            """);
        ws.Write("1_note.yaml", AddNote).WriteSum();
        await using var vacuum = await OpenAsync(ws, "nightly-maintenance");
        await ExecuteAsync(vacuum, "SET vacuum_cost_delay = 100; SET vacuum_cost_limit = 1");
        var vacuuming = ExecuteAsync(vacuum, "VACUUM t");
        await using var observer = await OpenAsync(ws, "test-observer");
        await UntilAsync(observer, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'nightly-maintenance' AND query = 'VACUUM t' AND now() - xact_start > interval '1.2 s')",
            TimeSpan.FromSeconds(20), "a VACUUM older than the bound");

        var apply = ws.Migrator(o => o.LockPolicy = LockPolicy.From(o) with { ProgressInterval = TimeSpan.FromMilliseconds(500) }).ApplyAsync(new ApplyRequest());
        var queued = false;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(2))
        {
            // The step never joins the lock queue behind the VACUUM: nothing of t's waits.
            queued |= await ScalarAsync<bool>(observer, "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = 't'::regclass AND NOT granted)");
            await Task.Delay(20);
        }
        Assert.False(apply.IsCompleted);
        await ExecuteAsync(observer, $"SELECT pg_cancel_backend({vacuum.ProcessID})");
        await Assert.ThrowsAsync<PostgresException>(() => vacuuming);
        await apply;

        Assert.False(queued, "the step queued behind a VACUUM older than the bound");
        Assert.Contains(ws.Log.Entries, e => e.Id == EventIds.LockWaiting && e.Message.Contains($"pid {vacuum.ProcessID} (manual VACUUM, application 'nightly-maintenance'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_idle_in_transaction_holder_is_reported_and_left_alone_by_default()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("CREATE TABLE t (id int)");
        ws.Write("1_note.yaml", AddNote).WriteSum();
        await using var idle = await OpenAsync(ws, "forgetful-app");
        await ExecuteAsync(idle, "BEGIN; SELECT count(*) FROM t");

        var ex = await Assert.ThrowsAsync<MigrationFailedException>(() => ws.Migrator(o =>
        {
            o.MaxLockWait = TimeSpan.FromMilliseconds(200);
            o.LockDeadline = TimeSpan.FromSeconds(1.5);
        }).ApplyAsync(new ApplyRequest()));

        Assert.Contains($"pid {idle.ProcessID} (idle in transaction for", ex.Message);
        Assert.Contains("application 'forgetful-app'", ex.Message);
        Assert.Equal(0L, await ScalarAsync<long>(idle, "SELECT count(*) FROM t")); // still there, transaction still open
        Assert.DoesNotContain(ws.Log.Entries, e => e.Id == EventIds.IdleSessionTerminated);
    }

    [Fact]
    public async Task An_idle_in_transaction_holder_is_terminated_with_the_option()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("CREATE TABLE t (id int)");
        ws.Write("1_note.yaml", AddNote).WriteSum();
        await using var idle = await OpenAsync(ws, "forgetful-app");
        await ExecuteAsync(idle, "BEGIN; SELECT count(*) FROM t");
        await Task.Delay(600);

        await ws.Migrator(o => o.TerminateIdleInTransactionAfter = TimeSpan.FromMilliseconds(500)).ApplyAsync(new ApplyRequest());

        Assert.Contains(ws.Log.Entries, e => e.Id == EventIds.IdleSessionTerminated && e.Message.Contains($"terminated pid {idle.ProcessID} (idle in transaction", StringComparison.Ordinal));
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync<long>(idle, "SELECT count(*) FROM t"));
    }

    [Fact]
    public async Task A_long_read_is_waited_for_while_a_concurrent_clients_lock_waits_stay_under_the_bound()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("CREATE TABLE t (id int); INSERT INTO t VALUES (1)");
        ws.Write("1_note.yaml", AddNote).WriteSum();
        var bound = TimeSpan.FromMilliseconds(300);
        await using var report = await OpenAsync(ws, "long-report");
        var reading = ExecuteAsync(report, "SELECT pg_sleep(5) FROM t");
        await using var writer = await OpenAsync(ws, "old-version");
        await ExecuteAsync(writer, "SELECT 1");

        var apply = ws.Migrator(o => o.MaxLockWait = bound).ApplyAsync(new ApplyRequest());
        var slowest = TimeSpan.Zero;
        while (!apply.IsCompleted)
        {
            var clock = Stopwatch.StartNew();
            await ExecuteAsync(writer, "INSERT INTO t (id) VALUES (2)");
            slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
            await Task.Delay(5);
        }
        await apply;
        await reading;

        // Queueing behind the 5 s read would have made the writer wait for seconds; the slack (far below those 5 s) covers
        // scheduling on a 2-core machine busy with other test runs.
        Assert.True(slowest < bound + TimeSpan.FromMilliseconds(1500), $"a writer waited {slowest.TotalMilliseconds:F0} ms");
        Assert.True(await ws.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'note')"));
    }

    [Fact]
    public async Task The_deadline_stops_an_operation_step_resumable_naming_the_blockers()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("CREATE TABLE t (id int); INSERT INTO t VALUES (1)");
        ws.Write("1_note.yaml", AddNote).WriteSum();
        await using var blocker = await OpenAsync(ws, "batch-export");
        var holding = ExecuteAsync(blocker, "SELECT pg_sleep(30) FROM t");
        await using var observer = await OpenAsync(ws, "test-observer");
        await UntilAsync(observer, "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'batch-export' AND state = 'active')", TimeSpan.FromSeconds(10), "the export");

        var ex = await Assert.ThrowsAsync<MigrationFailedException>(() => ws.Migrator(o => o.LockDeadline = TimeSpan.FromSeconds(2)).ApplyAsync(new ApplyRequest()));

        Assert.Contains("could not get ACCESS EXCLUSIVE on public.t within the lock deadline (2.0 s)", ex.Message);
        Assert.Contains($"blockers seen: pid {blocker.ProcessID} (active, application 'batch-export'", ex.Message);
        Assert.Contains("SELECT pg_sleep(30) FROM t", ex.Message);
        Assert.Contains("run stepwise apply: it resumes at step 1", ex.NextStep);
        Assert.Equal(MigrationState.InProgress, (await ws.Migrator().StatusAsync()).Entries.Single().State);

        await ExecuteAsync(observer, $"SELECT pg_cancel_backend({blocker.ProcessID})");
        await Assert.ThrowsAsync<PostgresException>(() => holding);
        await ws.Migrator().ApplyAsync(new ApplyRequest());
        Assert.Equal(MigrationState.Started, (await ws.Migrator().StatusAsync()).Entries.Single().State);
    }

    [Fact]
    public async Task Grouped_catalog_steps_take_the_table_lock_once()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        // An event trigger logs the transaction of every DDL command on t: each transaction is one lock acquisition.
        await ws.ExecuteAsync("""
            CREATE TABLE t (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, org int);
            INSERT INTO t (org) SELECT g FROM generate_series(1, 100) g;
            CREATE TABLE ddl_log (xid xid8, tag text, object text, query text);
            CREATE FUNCTION log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO ddl_log SELECT pg_current_xact_id(), c.command_tag, c.object_identity, current_query() FROM pg_event_trigger_ddl_commands() c;
            END $$;
            CREATE EVENT TRIGGER log_ddl ON ddl_command_end EXECUTE FUNCTION log_ddl();
            """);
        // add column (ACCESS EXCLUSIVE) + fill function + fill trigger (SHARE ROW EXCLUSIVE) + NOT VALID check (ACCESS
        // EXCLUSIVE): three strong locks on t one after the other; then a backfill and a validation, which block no traffic.
        ws.Write("1_org.yaml", """
            operations:
              - add_column:
                  table: t
                  column:
                    name: org_copy
                    type: int
                    nullable: true
                    check: { name: t_org_copy_known, constraint: org_copy IS NOT NULL OR org IS NULL }
                  up: org
            """).WriteSum();

        await ws.Migrator().ApplyAsync(new ApplyRequest());

        var step = Assert.Single(ws.Log.Entries, e => e.Id == EventIds.StepDone && e.Message.Contains("one transaction, one lock wait on public.t", StringComparison.Ordinal));
        Assert.Contains("fill trigger", step.Message);
        Assert.Contains("NOT VALID t_org_copy_known", step.Message);
        const string Strong = "tag IN ('ALTER TABLE', 'CREATE TRIGGER') AND object LIKE '%public.t' AND query NOT LIKE '%VALIDATE CONSTRAINT%'";
        Assert.Equal(3L, await ws.ScalarAsync<long>($"SELECT count(*) FROM ddl_log WHERE {Strong}"));
        Assert.Equal(1L, await ws.ScalarAsync<long>($"SELECT count(DISTINCT xid) FROM ddl_log WHERE {Strong}")); // 3 without grouping
    }

    [Fact]
    public async Task A_step_waiting_for_a_quiet_moment_shows_in_status_and_health_data_until_the_wait_ends()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("CREATE TABLE t (id int)");
        ws.Write("1_note.yaml", AddNote).WriteSum();
        await using var holder = await OpenAsync(ws, "report-job");
        await ExecuteAsync(holder, "BEGIN; SELECT count(*) FROM t");
        var apply = ws.Migrator(o => o.LockPolicy = LockPolicy.From(o) with { MaxLockWait = TimeSpan.FromMilliseconds(200), ProgressInterval = TimeSpan.FromMilliseconds(300) })
            .ApplyAsync(new ApplyRequest());

        // Another process (status, the application's health check) sees the wait through the state schema.
        var clock = Stopwatch.StartNew();
        StatusReport waiting;
        while ((waiting = await ws.Migrator().StatusAsync()).LockWait is null)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "status never showed the lock wait");
            await Task.Delay(100);
        }
        var (code, json, _) = await ws.RunCliAsync("status", "--format", "json");
        var health = await HealthAsync(ws);
        await ExecuteAsync(holder, "COMMIT");
        await apply;
        var after = await ws.Migrator().StatusAsync();
        var healthAfter = await HealthAsync(ws);

        var wait = waiting.LockWait!;
        Assert.Equal(["public.t"], wait.Tables);
        Assert.Contains($"pid {holder.ProcessID} (idle in transaction for", wait.Holders[0]);
        Assert.Contains("application 'report-job'", wait.Holders[0]);
        Assert.True(wait.OldestTransaction > TimeSpan.FromMilliseconds(200), $"oldest {wait.OldestTransaction}");
        Assert.True(wait.Since <= wait.At && wait.Since > DateTimeOffset.UtcNow - TimeSpan.FromSeconds(30));
        Assert.StartsWith("1_note.yaml", wait.Where, StringComparison.Ordinal);
        Assert.Equal(1, code); // pending while it waits
        using (var document = System.Text.Json.JsonDocument.Parse(json))
        {
            var shown = document.RootElement.GetProperty("lockWait");
            Assert.Equal("public.t", shown.GetProperty("tables")[0].GetString());
            Assert.Contains($"pid {holder.ProcessID}", shown.GetProperty("holders")[0].GetString());
            Assert.True(shown.GetProperty("oldestMs").GetInt64() > 200);
            Assert.Contains("waiting for a quiet moment on public.t", shown.GetProperty("line").GetString());
        }
        Assert.Equal(["public.t"], (string[])health.Data["lockWaitTables"]);
        Assert.Contains($"pid {holder.ProcessID}", ((string[])health.Data["lockHolders"])[0]);
        Assert.Null(after.LockWait); // cleared when the wait ended
        Assert.Null(await ws.ScalarAsync<string>("SELECT lock_wait::text FROM stepwise.state"));
        Assert.False(healthAfter.Data.ContainsKey("lockWait"));

        // A run killed while waiting leaves its row; its session is gone, so nothing shows it.
        await ws.ExecuteAsync($$"""UPDATE stepwise.state SET lock_wait = '{"pid": 2147483000, "since": "2026-01-01T00:00:00Z"}'""");
        Assert.Null((await ws.Migrator().StatusAsync()).LockWait);
    }

    private static async Task<HealthReportEntry> HealthAsync(MigrationWorkspace ws)
    {
        using var host = TestHosts.For(ws, StepwiseStartupMode.None);
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Tags.Contains("ready"));
        return report.Entries["stepwise"];
    }
}
