using Stepwise.Execution;
using Stepwise.Migrations;

namespace Stepwise.IntegrationTests.Execution;

public class ApplyTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Apply_runs_pending_migrations_in_version_order_and_records_them()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("2_b.sql", "-- stepwise:up\nALTER TABLE a ADD COLUMN b int;\n-- stepwise:down\nALTER TABLE a DROP COLUMN b;")
          .Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);\n-- stepwise:down\nDROP TABLE a;")
          .Write("R_view.sql", "CREATE OR REPLACE VIEW v AS SELECT id, b FROM a;")
          .WriteSum();
        var migrator = ws.Migrator();

        var before = await migrator.StatusAsync();
        var result = await migrator.ApplyAsync(new ApplyRequest());
        var after = await migrator.StatusAsync();

        Assert.True(before.NeedsAttention);
        Assert.All(before.Entries, e => Assert.Equal(MigrationState.Pending, e.State));
        Assert.Equal(["1_a.sql", "2_b.sql", "R_view.sql"], result.Runs.Select(r => r.Migration.FileName));
        Assert.False(after.NeedsAttention);
        Assert.Equal(2, after.CurrentVersion);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM v"));
        var row = after.Entries[0].History!;
        Assert.Equal((HistoryStatus.Applied, "postgres", "stepwise"), (row.Status, row.AppliedBy, row.ApplicationName));
        Assert.Equal(3L, await ws.ScalarAsync<long>("SELECT count(*) FROM stepwise.events WHERE action = 'applied'"));
    }

    [Fact]
    public async Task A_DO_block_that_commits_runs_outside_a_transaction_in_a_no_transaction_file()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_commit.sql", "-- stepwise:no-transaction\n-- stepwise:up\nCREATE TABLE t (a int);\nDO $$ BEGIN INSERT INTO t VALUES (1); COMMIT; INSERT INTO t VALUES (2); END $$;\n").WriteSum();

        await ws.Migrator().ApplyAsync(new ApplyRequest());

        Assert.Equal(2L, await ws.ScalarAsync<long>("SELECT count(*) FROM t"));
        Assert.Equal("applied", await ws.ScalarAsync<string>("SELECT status FROM stepwise.migrations WHERE version = 1"));
        Assert.Equal(1L, await ws.ScalarAsync<long>("SELECT count(*) FROM stepwise.events WHERE action = 'running' AND detail LIKE 'statement 2 (line 4) commits by itself%'"));
    }

    [Fact]
    public async Task A_file_with_a_committing_procedure_call_runs_statement_by_statement_and_says_why()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("CREATE TABLE t (a int); CREATE PROCEDURE fill() LANGUAGE plpgsql AS $$ BEGIN INSERT INTO t VALUES (1); COMMIT; INSERT INTO t VALUES (2); END $$");
        ws.Write("1_call.sql", "-- stepwise:up\nINSERT INTO t VALUES (0);\nCALL fill();\n").WriteSum();
        var migrator = ws.Migrator();

        var planned = await migrator.ApplyAsync(new ApplyRequest { DryRun = true });
        await migrator.ApplyAsync(new ApplyRequest());

        Assert.Equal("CALL at line 3 commits or rolls back by itself, so it cannot run in a transaction", planned.Runs.Single().Section!.WhyNoTransaction);
        Assert.Equal(3L, await ws.ScalarAsync<long>("SELECT count(*) FROM t"));
        Assert.Equal("applied", await ws.ScalarAsync<string>("SELECT status FROM stepwise.migrations WHERE version = 1"));
    }

    [Fact]
    public async Task A_second_apply_does_nothing_and_a_changed_repeatable_is_applied_again()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);").Write("R_view.sql", "CREATE OR REPLACE VIEW v AS SELECT 1 AS one;").WriteSum();
        var migrator = ws.Migrator();
        await migrator.ApplyAsync(new ApplyRequest());

        var again = await migrator.ApplyAsync(new ApplyRequest());
        ws.Write("R_view.sql", "CREATE OR REPLACE VIEW v AS SELECT 1 AS one, 2 AS two;").WriteSum();
        var changed = await migrator.StatusAsync();
        var third = await migrator.ApplyAsync(new ApplyRequest());

        Assert.Empty(again.Runs);
        Assert.Equal(MigrationState.Pending, changed.Entries.Single(e => e.File == "R_view.sql").State);
        Assert.Equal(["R_view.sql"], third.Runs.Select(r => r.Migration.FileName));
        Assert.Equal(2, await ws.ScalarAsync<int>("SELECT two FROM v"));
    }

    [Fact]
    public async Task A_failing_statement_rolls_the_whole_migration_back_and_says_where()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\nINSERT INTO a VALUES ('x');\n").WriteSum();
        var migrator = ws.Migrator();

        var ex = await Assert.ThrowsAsync<MigrationFailedException>(() => migrator.ApplyAsync(new ApplyRequest()));
        var status = await migrator.StatusAsync();

        Assert.Equal("22P02", ex.SqlState);
        Assert.Equal((4, 23), (ex.Line, ex.Column));
        Assert.Equal("INSERT INTO a VALUES ('x')", ex.Statement);
        Assert.Contains("rolled back", ex.NextStep);
        Assert.Null(await ws.ScalarAsync<string>("SELECT to_regclass('a')::text"));
        Assert.Equal(MigrationState.Failed, status.Entries[0].State);
        Assert.Contains("22P02", status.Entries[0].History!.Error);

        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\n").WriteSum();
        await migrator.ApplyAsync(new ApplyRequest());
        Assert.False((await migrator.StatusAsync()).NeedsAttention);
    }

    [Fact]
    public async Task A_failing_assertion_rolls_the_migration_back()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", """
            -- stepwise:up
            CREATE TABLE items (cost int, eligible boolean);
            INSERT INTO items VALUES (0, true), (5, true);
            -- stepwise:assert eligible_parity
            SELECT cost FROM items WHERE eligible IS DISTINCT FROM (cost = 0);
            """).WriteSum();

        var ex = await Assert.ThrowsAsync<MigrationFailedException>(() => ws.Migrator().ApplyAsync(new ApplyRequest()));

        Assert.Contains("assertion 'eligible_parity' failed", ex.Message);
        Assert.Contains("cost=5", ex.Message);
        Assert.Equal(5, ex.Line);
        Assert.Null(await ws.ScalarAsync<string>("SELECT to_regclass('items')::text"));
    }

    [Fact]
    public async Task The_recorded_duration_counts_a_migrations_statements_once_with_or_without_assertions()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nSELECT pg_sleep(0.3);\n")
          .Write("2_b.sql", "-- stepwise:up\nSELECT pg_sleep(0.3);\n-- stepwise:assert fine\nSELECT true;\n").WriteSum();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await ws.Migrator().ApplyAsync(new ApplyRequest());
        var wall = clock.ElapsedMilliseconds;

        // The record of a migration without assertions goes in its statements' round trip: the server adds their time.
        Assert.True(await ws.ScalarAsync<long>("SELECT min(duration_ms) FROM stepwise.migrations") >= 300);
        Assert.True(await ws.ScalarAsync<long>("SELECT min(split_part(detail, ' ', 1)::bigint) FROM stepwise.events WHERE action = 'applied'") >= 300);
        Assert.True(await ws.ScalarAsync<long>("SELECT sum(duration_ms)::bigint FROM stepwise.migrations") <= wall);
    }

    [Fact]
    public async Task A_failing_assertion_shows_values_of_any_type_as_postgres_prints_them()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", """
            -- stepwise:up
            CREATE TABLE t (a int);
            -- stepwise:assert odd_types
            SELECT inet '10.1.2.3/8' AS addr, to_tsvector('simple', 'two words') AS doc, int4range(1, 5) AS span, NULL::int AS none, false AS ok;
            """).WriteSum();

        var ex = await Assert.ThrowsAsync<MigrationFailedException>(() => ws.Migrator().ApplyAsync(new ApplyRequest()));

        Assert.Contains("addr=10.1.2.3/8, doc='two':1 'words':2, span=[1,5), none=NULL, ok=false", ex.Message);
    }

    [Fact]
    public async Task A_passing_assertion_may_return_true()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE t (a int);\n-- stepwise:assert empty\nSELECT count(*) = 0 FROM t;\n").WriteSum();

        var result = await ws.Migrator().ApplyAsync(new ApplyRequest());

        Assert.Single(result.Runs);
    }

    [Fact]
    public async Task Concurrent_index_runs_statement_by_statement_and_resumes_at_the_first_unfinished_statement()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("CREATE TABLE t (a int); CREATE TABLE runs (n int)");
        ws.Write("1_idx.sql", """
            -- stepwise:up
            INSERT INTO runs VALUES (1);
            CREATE INDEX CONCURRENTLY t_a_idx ON t (a);
            INSERT INTO missing VALUES (1);
            INSERT INTO runs VALUES (4);
            """).WriteSum();
        var migrator = ws.Migrator();

        var ex = await Assert.ThrowsAsync<MigrationFailedException>(() => migrator.ApplyAsync(new ApplyRequest()));
        var partial = (await migrator.StatusAsync()).Entries[0];
        await ws.ExecuteAsync("CREATE TABLE missing (n int)");
        var resumed = await migrator.ApplyAsync(new ApplyRequest());

        Assert.Equal(4, ex.Line);
        Assert.Contains("resumes at statement 3", ex.NextStep);
        Assert.Equal((MigrationState.Partial, 2), (partial.State, partial.History!.StatementsCompleted));
        Assert.Equal(2, resumed.Runs[0].ResumeAt);
        Assert.Equal(2L, await ws.ScalarAsync<long>("SELECT count(*) FROM runs")); // statement 1 ran once
        Assert.True(await ws.ScalarAsync<bool>("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_a_idx'::regclass"));
        Assert.False((await migrator.StatusAsync()).NeedsAttention);
    }

    [Fact]
    public async Task An_invalid_index_left_by_an_interrupted_build_is_dropped_before_the_retry()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        // A unique index build that fails leaves an INVALID index behind, like an interrupted one.
        await ws.ExecuteAsync("CREATE TABLE t (a int); INSERT INTO t VALUES (1), (1)");
        ws.Write("1_idx.sql", "-- stepwise:up\nCREATE UNIQUE INDEX CONCURRENTLY t_a_key ON t (a);\n").WriteSum();
        var migrator = ws.Migrator();
        await Assert.ThrowsAsync<MigrationFailedException>(() => migrator.ApplyAsync(new ApplyRequest()));
        Assert.False(await ws.ScalarAsync<bool>("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_a_key'::regclass"));

        await ws.ExecuteAsync("DELETE FROM t WHERE ctid = (SELECT max(ctid) FROM t)");
        await migrator.ApplyAsync(new ApplyRequest());

        Assert.True(await ws.ScalarAsync<bool>("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_a_key'::regclass"));
        Assert.Contains(ws.Log.Entries, e => e.Id == EventIds.DroppingInvalidIndex);
    }

    [Fact]
    public async Task An_older_pending_migration_is_refused_then_allowed_with_the_flag()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("10_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);").Write("20_b.sql", "-- stepwise:up\nCREATE TABLE b (id int);").WriteSum();
        var migrator = ws.Migrator();
        await migrator.ApplyAsync(new ApplyRequest());
        ws.Write("15_merged.sql", "-- stepwise:up\nCREATE TABLE merged (id int);").WriteSum();

        var refused = await Assert.ThrowsAsync<MigrationRefusedException>(() => migrator.ApplyAsync(new ApplyRequest()));
        Assert.Equal(MigrationState.OutOfOrder, (await migrator.StatusAsync()).Entries[1].State);
        var allowed = await migrator.ApplyAsync(new ApplyRequest { AllowOutOfOrder = true });

        Assert.Equal("out-of-order", Assert.Single(refused.Problems).Code);
        Assert.Contains("15_merged.sql is pending but older than version 20", refused.Problems[0].Message);
        Assert.Equal(["15_merged.sql"], allowed.Runs.Select(r => r.Migration.FileName));
    }

    [Fact]
    public async Task An_edited_applied_migration_is_refused_until_repaired()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);").WriteSum();
        var migrator = ws.Migrator();
        await migrator.ApplyAsync(new ApplyRequest());
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id bigint);").Write("2_b.sql", "-- stepwise:up\nCREATE TABLE b (id int);").WriteSum();

        var refused = await Assert.ThrowsAsync<MigrationRefusedException>(() => migrator.ApplyAsync(new ApplyRequest()));
        var createdWhileRefused = await ws.ScalarAsync<string>("SELECT to_regclass('b')::text");
        var listed = await migrator.RepairAsync(apply: false);
        var stillModified = (await migrator.StatusAsync()).Entries[0].State;
        var repaired = await migrator.RepairAsync(apply: true);
        var applied = await migrator.ApplyAsync(new ApplyRequest());

        Assert.Contains("1_a.sql was changed after it was applied", Assert.Single(refused.Problems).Message);
        Assert.Null(createdWhileRefused);
        Assert.Equal(MigrationState.Modified, stillModified);
        Assert.StartsWith("re-record checksum", Assert.Single(listed).Action);
        Assert.Single(repaired);
        Assert.Equal(["2_b.sql"], applied.Runs.Select(r => r.Migration.FileName));
    }

    [Fact]
    public async Task A_history_row_whose_file_is_gone_is_refused()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);").WriteSum();
        var migrator = ws.Migrator();
        await migrator.ApplyAsync(new ApplyRequest());
        File.Delete(Path.Combine(ws.Directory, "1_a.sql"));
        ws.Write("2_b.sql", "-- stepwise:up\nCREATE TABLE b (id int);").WriteSum();

        var refused = await Assert.ThrowsAsync<MigrationRefusedException>(() => migrator.ApplyAsync(new ApplyRequest()));

        Assert.Equal("missing-file", Assert.Single(refused.Problems).Code);
        Assert.Equal(MigrationState.MissingFile, (await migrator.StatusAsync()).Entries[0].State);
    }

    [Fact]
    public async Task A_directory_with_errors_applies_nothing()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);").Write("2_b.sql", "-- stepwise:up\nCREATE TABEL b (id int);");

        var refused = await Assert.ThrowsAsync<MigrationRefusedException>(() => ws.Migrator().ApplyAsync(new ApplyRequest()));

        Assert.Contains(refused.Problems, p => p.Code == "syntax-error" && p.Line == 2);
        Assert.Null(await ws.ScalarAsync<string>("SELECT to_regclass('stepwise.migrations')::text"));
    }

    [Fact]
    public async Task A_dbmate_directory_applies_unchanged()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("20240101000000_create_users.sql", "-- migrate:up\ncreate table users (id serial primary key, email text);\n\n-- migrate:down\ndrop table users;\n")
          .Write("20240102000000_index_users.sql", "-- migrate:up transaction:false\ncreate index concurrently users_email_idx on users (email);\n\n-- migrate:down\ndrop index users_email_idx;\n");

        var result = await ws.Migrator().ApplyAsync(new ApplyRequest());

        Assert.Equal(2, result.Runs.Count);
        Assert.False(result.Runs[1].Section!.RunsInTransaction);
        Assert.True(await ws.ScalarAsync<bool>("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass"));
    }

    [Fact]
    public async Task Dry_run_plans_without_changing_anything()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_idx ON a (id);").WriteSum();

        var plan = await ws.Migrator().ApplyAsync(new ApplyRequest { DryRun = true });

        Assert.True(plan.DryRun);
        var run = Assert.Single(plan.Runs);
        Assert.False(run.Section!.RunsInTransaction);
        Assert.Null(await ws.ScalarAsync<string>("SELECT to_regclass('a')::text"));
        Assert.Null(await ws.ScalarAsync<string>("SELECT to_regclass('stepwise.migrations')::text"));
    }

    [Fact]
    public async Task Apply_to_a_version_stops_there()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);").Write("2_b.sql", "-- stepwise:up\nCREATE TABLE b (id int);").WriteSum();

        var result = await ws.Migrator().ApplyAsync(new ApplyRequest { ToVersion = 1 });

        Assert.Equal(["1_a.sql"], result.Runs.Select(r => r.Migration.FileName));
        Assert.Null(await ws.ScalarAsync<string>("SELECT to_regclass('b')::text"));
    }
}
