using System.Diagnostics;
using System.Text.Json;
using Stepwise.Cli;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Cli;

public class MigrationCommandsTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static Task<(int Code, string Out, string Error)> Run(MigrationWorkspace ws, params string[] args) => ws.RunCliAsync(args);

    [Fact]
    public async Task Dry_run_and_lint_name_the_table_a_dropped_foreign_key_references()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_base.sql", "-- stepwise:up\nCREATE TABLE orgs (id int PRIMARY KEY);\nCREATE TABLE runs (id int, org_id int CONSTRAINT runs_org_fkey REFERENCES orgs);\n").WriteSum();
        await ws.Migrator().ApplyAsync(new Stepwise.Execution.ApplyRequest());
        ws.Write("2_drop.sql", "-- stepwise:up\nALTER TABLE runs DROP CONSTRAINT runs_org_fkey;\nDROP TABLE runs;\n").WriteSum();

        var dryRun = await Run(ws, "apply", "--dry-run", "--format", "json");
        // A plain SQL file (another tool runs it, without Stepwise's lock_timeout): require-lock-timeout lists every lock.
        var plain = Path.Combine(Directory.CreateTempSubdirectory("stepwise-lint-").FullName, "drop.sql");
        File.WriteAllText(plain, "ALTER TABLE runs DROP CONSTRAINT runs_org_fkey;\nDROP TABLE runs;\n");
        var lint = await Run(ws, "lint", plain);

        Assert.True(dryRun.Code == 0, dryRun.Error);
        Assert.Contains("ACCESS EXCLUSIVE on runs", dryRun.Out);
        Assert.Contains("ACCESS EXCLUSIVE on orgs (blocks reads and writes; ALTER TABLE ... DROP CONSTRAINT runs_org_fkey (foreign key to this table", dryRun.Out);
        Assert.True(lint.Out.Contains("takes ACCESS EXCLUSIVE on runs (and ACCESS EXCLUSIVE on orgs) with no lock_timeout", StringComparison.Ordinal), lint.Out);
        Assert.Contains("DROP TABLE runs deletes", lint.Out);
        Assert.Contains("ACCESS EXCLUSIVE on runs and ACCESS EXCLUSIVE on orgs", lint.Out);
    }

    [Fact]
    public async Task New_apply_status_and_rollback_work_end_to_end()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);

        var created = await Run(ws, "new", "Add organizations!");
        var file = Directory.GetFiles(ws.Directory, "*_add_organizations.sql").Single();
        File.WriteAllText(file, "-- stepwise:up\nCREATE TABLE organizations (id bigint PRIMARY KEY);\nCREATE INDEX CONCURRENTLY organizations_idx ON organizations (id);\n-- stepwise:down\nDROP TABLE organizations;\n");
        var editing = await Run(ws, "validate");
        await Run(ws, "hash");
        var pending = await Run(ws, "status");
        var dryRun = await Run(ws, "apply", "--dry-run");
        var applied = await Run(ws, "apply");
        var upToDate = await Run(ws, "status", "--format", "json");
        var rolledBack = await Run(ws, "rollback");

        Assert.Equal(0, created.Code);
        Assert.Contains("created ", created.Out);
        Assert.Equal(0, editing.Code); // a file stepwise new made is in progress: editing it needs no hash
        Assert.Contains("in progress (made by stepwise new)", editing.Error);
        Assert.Equal(1, pending.Code);
        Assert.Contains("pending", pending.Out);
        Assert.Equal(0, dryRun.Code);
        Assert.Contains("statement by statement", dryRun.Out);
        Assert.Contains("SHARE UPDATE EXCLUSIVE on organizations", dryRun.Out);
        Assert.Contains("nothing was changed", dryRun.Out);
        Assert.Equal(0, applied.Code);
        Assert.Contains("applied 1 migration(s)", applied.Out);
        Assert.Equal(0, upToDate.Code);
        using var json = JsonDocument.Parse(upToDate.Out);
        Assert.Equal("applied", json.RootElement.GetProperty("migrations")[0].GetProperty("state").GetString());
        Assert.Equal(0, rolledBack.Code);
        Assert.Null(await ws.ScalarAsync<string>("SELECT to_regclass('organizations')::text"));
    }

    [Fact]
    public async Task Bad_files_exit_2_with_positions_and_apply_nothing()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);\n-- stepwise:timeout 5s\n").Write("1_b.sql", "-- stepwise:up\nSELECT 1;");

        var apply = await Run(ws, "apply");
        var validate = await Run(ws, "validate");

        Assert.Equal(2, apply.Code);
        Assert.Contains("1_a.sql:3:1: error: unknown directive 'stepwise:timeout 5s'", apply.Error);
        Assert.Contains("version 1 is used by both 1_a.sql and 1_b.sql", apply.Error);
        Assert.Null(await ws.ScalarAsync<string>("SELECT to_regclass('a')::text"));
        Assert.Equal(1, validate.Code);
        Assert.Contains("invalid:", validate.Out);
    }

    [Fact]
    public async Task A_failed_migration_exits_3_naming_file_line_and_next_step()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);\nALTER TABLE a ADD CONSTRAINT c CHECK (id > 0) NOT VALID;\nALTER TABLE nope ADD COLUMN x int;\n").WriteSum();

        var (code, _, error) = await Run(ws, "apply");

        Assert.Equal(3, code);
        Assert.Contains("1_a.sql:4:1: error: 42P01: relation \"nope\" does not exist", error);
        Assert.Contains("ALTER TABLE nope ADD COLUMN x int", error);
        Assert.Contains("next: the migration was rolled back", error);
    }

    [Fact]
    public async Task A_failed_migration_shows_PostgreSQLs_detail_unless_the_connection_string_turns_it_off()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (email text);\nINSERT INTO a VALUES ('x@example.com'), ('x@example.com');\nCREATE UNIQUE INDEX a_email ON a (email);\n").WriteSum();

        var shown = await Run(ws, "apply");
        var redacted = await Stepwise.Testing.CliInvocation.RunAsync(["apply", "--dir", ws.Directory, "--no-color", "-d", ws.ConnectionString + ";Include Error Detail=false"], new Dictionary<string, string>(), ws.Directory);

        Assert.Equal(3, shown.Code);
        Assert.Contains("detail: Key (email)=(x@example.com) is duplicated.", shown.Error);
        Assert.Equal(3, redacted.ExitCode);
        Assert.DoesNotContain("x@example.com) is duplicated", redacted.Error);
    }

    [Fact]
    public async Task A_migration_that_commits_and_begins_itself_is_refused_before_it_runs_and_applies_once_they_are_removed()
    {
        // As nakama writes it for a tool that runs each file in one transaction: out of it for the concurrent index, then back in.
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_idx.sql", "-- stepwise:up\nCREATE TABLE x (id int);\n\nCOMMIT;\nCREATE INDEX CONCURRENTLY x_id ON x (id);\nBEGIN;\n").WriteSum();

        var refused = await Run(ws, "apply");
        var dryRun = await Run(ws, "apply", "--dry-run");
        var tableBefore = await ws.ScalarAsync<string>("SELECT to_regclass('x')::text");
        ws.Write("1_idx.sql", "-- stepwise:up\nCREATE TABLE x (id int);\n\nCREATE INDEX CONCURRENTLY x_id ON x (id);\n").WriteSum();
        var applied = await Run(ws, "apply");

        Assert.Equal(2, refused.Code);
        Assert.Contains("nothing was applied: 2 statement(s) control transactions, which Stepwise does itself", refused.Error);
        Assert.Contains("1_idx.sql:4:1: error: COMMIT in a migration", refused.Error);
        Assert.Contains("1_idx.sql:6:1: error: BEGIN in a migration", refused.Error);
        Assert.Equal(2, dryRun.Code);
        Assert.Null(tableBefore);
        Assert.True(applied.Code == 0, applied.Out + applied.Error);
        Assert.Equal("x_id", await ws.ScalarAsync<string>("SELECT to_regclass('x_id')::text"));
    }

    [Fact]
    public async Task Validate_warns_about_missing_down_sections_and_checks_history_with_a_database()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);").WriteSum();
        await Run(ws, "apply");
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id bigint);").WriteSum();

        var (code, output, error) = await Run(ws, "validate", "--format", "json");

        Assert.Equal(1, code);
        using var json = JsonDocument.Parse(output);
        var codes = json.RootElement.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("code").GetString()).ToList();
        Assert.Contains("no-down-section", codes);
        Assert.Contains("modified", codes);
    }

    [Fact]
    public async Task Eight_concurrent_apply_processes_apply_each_migration_once()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("CREATE TABLE applied_by (file text, pid int)");
        for (var i = 1; i <= 6; i++)
        {
            ws.Write($"{i}_m.sql", $"-- stepwise:up\nINSERT INTO applied_by VALUES ('{i}', pg_backend_pid());\nSELECT pg_sleep(0.05);\n");
        }
        ws.WriteSum();

        var processes = Enumerable.Range(0, 8).Select(_ => CliProcess.Start(ws, "apply")).ToList();
        var results = await Task.WhenAll(processes.Select(p => p.WaitAsync()));

        Assert.All(results, r => Assert.True(r.Code == 0, r.Error));
        Assert.Equal(6L, await ws.ScalarAsync<long>("SELECT count(*) FROM applied_by"));
        Assert.Equal(6L, await ws.ScalarAsync<long>("SELECT count(DISTINCT file) FROM applied_by"));
    }

    [Fact]
    public async Task A_runner_killed_mid_migration_is_resumed_at_the_first_unfinished_statement()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("CREATE TABLE t (a int); CREATE TABLE ran (step int)");
        ws.Write("1_long.sql", """
            -- stepwise:no-transaction
            -- stepwise:up
            INSERT INTO ran VALUES (1);
            CREATE INDEX CONCURRENTLY t_a_idx ON t (a);
            SELECT pg_sleep(30);
            INSERT INTO ran VALUES (4);
            """).WriteSum();

        var first = CliProcess.Start(ws, "apply");
        var watch = Stopwatch.StartNew();
        while (await Completed(ws) is not 2)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "the first runner did not get to the sleep");
            await Task.Delay(50);
        }
        first.Kill();
        // The killed runner's session (and its migration lock) goes away when PostgreSQL notices.
        await ws.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%'");
        ws.Write("1_long.sql", File.ReadAllText(Path.Combine(ws.Directory, "1_long.sql")).Replace("pg_sleep(30)", "pg_sleep(0)")).WriteSum();
        var repair = await CliProcess.Start(ws, "repair", "--yes").WaitAsync();
        var second = await CliProcess.Start(ws, "apply").WaitAsync();

        Assert.Equal(0, repair.Code);
        Assert.True(second.Code == 0, second.Error);
        Assert.Contains("resuming at statement 3 of 4", second.Error);
        var ran = await ws.ScalarAsync<int[]>("SELECT array_agg(step ORDER BY step) FROM ran");
        Assert.Equal([1, 4], ran!);
        Assert.Equal("applied", await ws.ScalarAsync<string>("SELECT status FROM stepwise.migrations WHERE version = 1"));
    }

    [Fact]
    public async Task Apply_dry_run_shows_SQL_and_operation_migrations_in_one_table()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("CREATE TABLE teams (id bigint PRIMARY KEY)");
        ws.Write("1_notes.sql", "-- stepwise:up\nCREATE TABLE notes (id int);\n")
          .Write("2_projects.yaml", "operations:\n  - create_table: { name: projects, columns: [{ name: id, type: bigint, pk: true }] }\n")
          .WriteSum();

        var dryRun = await ws.RunCliAsync("apply", "--dry-run");

        Assert.Equal(0, dryRun.Code);
        var lines = dryRun.Out.Split('\n');
        var sql = Array.FindIndex(lines, l => l.Contains("1_notes.sql up: one transaction"));
        var operation = Array.FindIndex(lines, l => l.Contains("2_projects.yaml start phase: 1 step(s)"));
        Assert.True(sql >= 0 && operation > sql, dryRun.Out);
        Assert.Single(lines, l => l.Contains("statement / step")); // one table: one header
        Assert.Contains("dry run: 2 migration(s) would apply; nothing was changed", dryRun.Out);
        Assert.Null(await ws.ScalarAsync<string>("SELECT to_regclass('notes')::text"));
    }

    [Fact]
    public async Task Apply_json_reports_SQL_sections_and_operation_phases_as_one_list_of_runs_with_their_steps()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_notes.sql", "-- stepwise:up\nCREATE TABLE notes (id int);\n-- stepwise:assert empty\nSELECT 1 FROM notes;\n")
          .Write("2_projects.yaml", "operations:\n  - create_table: { name: projects, columns: [{ name: id, type: bigint, pk: true }] }\n")
          .WriteSum();

        var planned = await ws.RunCliAsync("apply", "--dry-run", "--format", "json");
        var applied = await ws.RunCliAsync("apply", "--format", "json");

        Assert.Equal(0, planned.Code);
        Assert.Equal(0, applied.Code);
        foreach (var (output, dryRun) in new[] { (planned.Out, true), (applied.Out, false) })
        {
            using var json = JsonDocument.Parse(output);
            Assert.Equal(2, json.RootElement.GetProperty("outputVersion").GetInt32());
            Assert.Equal(dryRun, json.RootElement.GetProperty("dryRun").GetBoolean());
            var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToList();
            Assert.Equal(["1_notes.sql/sql/up/single", "2_projects.yaml/operations/start/per-step"],
                runs.Select(r => $"{r.GetProperty("file").GetString()}/{r.GetProperty("kind").GetString()}/{r.GetProperty("phase").GetString()}/{r.GetProperty("transaction").GetString()}"));
            // The SQL section's one transaction shows its statement and its assertion, numbered in it.
            Assert.Equal(["1:2:CREATE TABLE:migration", "2:4:assert:migration"],
                runs[0].GetProperty("steps").EnumerateArray().Select(s => $"{s.GetProperty("index")}:{s.GetProperty("line")}:{s.GetProperty("kind").GetString()}:{s.GetProperty("transaction").GetString()}"));
            Assert.Equal("sql", runs[1].GetProperty("steps")[0].GetProperty("kind").GetString());
            Assert.Equal(dryRun, !runs[0].TryGetProperty("durationMs", out _));
        }
    }

    [Fact]
    public async Task A_committing_DO_backfill_killed_mid_loop_resumes_to_the_same_end_state()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("CREATE TABLE runs (id bigint PRIMARY KEY, org bigint); INSERT INTO runs SELECT g, NULL FROM generate_series(1, 2000) g");
        // The reference incident's shape: a batched UPDATE in a loop, committing every batch.
        ws.Write("1_backfill.sql", """
            -- stepwise:no-transaction
            -- stepwise:up
            ALTER TABLE runs ADD COLUMN filled boolean;
            DO $$
            DECLARE n integer;
            BEGIN
              LOOP
                UPDATE runs SET org = id % 7, filled = true WHERE id IN (SELECT id FROM runs WHERE org IS NULL ORDER BY id LIMIT 100);
                GET DIAGNOSTICS n = ROW_COUNT;
                EXIT WHEN n = 0;
                COMMIT;
                PERFORM pg_sleep(0.2);
              END LOOP;
            END $$;
            CREATE INDEX runs_org_idx ON runs (org);
            """).WriteSum();

        var first = CliProcess.Start(ws, "apply");
        var watch = Stopwatch.StartNew();
        while (await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS NOT NULL") < 300)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), "the first runner did not get into the loop");
            await Task.Delay(50);
        }
        first.Kill();
        await ws.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'DO $$%' AND pid <> pg_backend_pid()");
        var filledAtKill = await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS NOT NULL");
        var statusAtKill = await ws.ScalarAsync<string>("SELECT status FROM stepwise.migrations WHERE version = 1");
        var second = await CliProcess.Start(ws, "apply").WaitAsync();

        Assert.InRange(filledAtKill, 300, 1999);
        Assert.Equal("partial", statusAtKill);
        Assert.True(second.Code == 0, second.Error);
        Assert.Contains("resuming at statement 2 of 3", second.Error);
        Assert.Contains("commits by itself and was interrupted", second.Error);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM runs WHERE org IS DISTINCT FROM id % 7 OR filled IS NOT TRUE"));
        Assert.True(await ws.ScalarAsync<bool>("SELECT to_regclass('runs_org_idx') IS NOT NULL"));
        Assert.Equal("applied", await ws.ScalarAsync<string>("SELECT status FROM stepwise.migrations WHERE version = 1"));
    }

    private static async Task<int?> Completed(MigrationWorkspace ws)
    {
        try
        {
            return await ws.ScalarAsync<int?>("SELECT statements_completed FROM stepwise.migrations WHERE version = 1");
        }
        catch (Npgsql.PostgresException ex) when (ex.SqlState == "42P01")
        {
            return null; // the runner has not created its history yet
        }
    }
}

/// <summary>The stepwise command as a separate process.</summary>
internal sealed class CliProcess
{
    private readonly Process _process;
    private readonly Task<string> _out;
    private readonly Task<string> _error;

    private CliProcess(Process process)
    {
        _process = process;
        _out = process.StandardOutput.ReadToEndAsync();
        _error = process.StandardError.ReadToEndAsync();
    }

    public static CliProcess Start(MigrationWorkspace ws, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(typeof(StepwiseCli).Assembly.Location);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.ArgumentList.Add("--dir");
        info.ArgumentList.Add(ws.Directory);
        info.Environment["STEPWISE_DATABASE_URL"] = ws.ConnectionString;
        info.Environment["NO_COLOR"] = "1";
        return new CliProcess(Process.Start(info)!);
    }

    public void Kill() => _process.Kill(entireProcessTree: true);

    public async Task<(int Code, string Out, string Error)> WaitAsync()
    {
        await _process.WaitForExitAsync();
        return (_process.ExitCode, await _out, await _error);
    }
}
