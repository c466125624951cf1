using System.Text.Json;
using Stepwise.Cli;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Cli;

public class CatalogCommandsTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static Task<(int Code, string Out, string Error)> Run(MigrationWorkspace ws, params string[] args) => ws.RunCliAsync(args);

    private static MigrationWorkspace Migrations(MigrationWorkspace ws) => ws
        .Write("1_runs.sql", "-- stepwise:up\nCREATE TABLE workflow_runs (id bigint PRIMARY KEY, organization_id uuid);\n")
        .Write("2_index.sql", "-- stepwise:up\nCREATE INDEX CONCURRENTLY runs_org_idx ON workflow_runs (organization_id);\n")
        .WriteSum();

    [Fact]
    public async Task Drift_lists_changes_made_by_hand_and_nothing_otherwise()
    {
        await using var ws = Migrations(await MigrationWorkspace.CreateAsync(fixture));
        await ws.Migrator().ApplyAsync(new Stepwise.Execution.ApplyRequest());

        var clean = await Run(ws, "drift");
        await ws.ExecuteAsync("ALTER TABLE workflow_runs ALTER COLUMN organization_id SET NOT NULL; DROP INDEX runs_org_idx; CREATE TABLE hotfix (a int);");
        var drifted = await Run(ws, "drift");

        Assert.True(clean.Code == 0, clean.Error);
        Assert.Contains("no drift: the database matches its migrations up to version 2", clean.Out);
        Assert.Equal(1, drifted.Code);
        Assert.Contains("changed column public.workflow_runs.organization_id: nullable → not null", drifted.Out);
        Assert.Contains("removed index public.runs_org_idx", drifted.Out);
        Assert.Contains("added table public.hotfix", drifted.Out);
        Assert.DoesNotContain("history table", drifted.Out);
    }

    [Fact]
    public async Task Drift_names_the_history_table_of_the_tool_the_directory_was_imported_from_and_what_to_do()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_runs.sql", "-- imported from golang-migrate: 1_runs.up.sql (version 1)\n-- stepwise:up\nCREATE TABLE workflow_runs (id bigint PRIMARY KEY);\n").WriteSum();
        await ws.Migrator().ApplyAsync(new Stepwise.Execution.ApplyRequest());
        // golang-migrate's table, left after baseline --from golang-migrate; and the application's own changelog (Evolve's name).
        await ws.ExecuteAsync("CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL); CREATE TABLE changelog (id int)");

        var drifted = await Run(ws, "drift");

        Assert.Equal(1, drifted.Code);
        Assert.Contains("added table public.schema_migrations: the history table golang-migrate keeps (baseline --from only reads it): drop it once that tool no longer migrates this database", drifted.Out);
        Assert.Contains("added index public.schema_migrations_pkey: part of the history table golang-migrate keeps", drifted.Out);
        Assert.Contains("added table public.changelog\n", drifted.Out);
    }

    [Fact]
    public async Task Diff_compares_a_directory_a_database_and_a_saved_model()
    {
        await using var ws = Migrations(await MigrationWorkspace.CreateAsync(fixture));
        await ws.Migrator().ApplyAsync(new Stepwise.Execution.ApplyRequest { ToVersion = 1 });

        var inspect = await Run(ws, "inspect", "--format", "json");
        var saved = Path.Combine(Path.GetTempPath(), $"stepwise-model-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(saved, inspect.Out);
        try
        {
            var dirVsDb = await Run(ws, "diff", ws.Directory, ws.ConnectionString, "--format", "json");
            var dbVsSaved = await Run(ws, "diff", ws.ConnectionString, saved);

            Assert.Equal(0, inspect.Code);
            Assert.Equal("workflow_runs", JsonDocument.Parse(inspect.Out).RootElement.GetProperty("tables")[0].GetProperty("name").GetString());
            Assert.Equal(1, dirVsDb.Code);
            var difference = Assert.Single(JsonDocument.Parse(dirVsDb.Out).RootElement.GetProperty("differences").EnumerateArray());
            Assert.Equal(("removed", "index", "public.runs_org_idx"), (difference.GetProperty("kind").GetString(), difference.GetProperty("type").GetString(), difference.GetProperty("name").GetString()));
            Assert.Equal(0, dbVsSaved.Code);
            Assert.Contains("the schemas are the same", dbVsSaved.Out);
        }
        finally
        {
            File.Delete(saved);
        }
    }

    [Fact]
    public async Task Diff_of_something_that_is_not_a_schema_is_bad_input()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);

        var (code, _, error) = await Run(ws, "diff", "no-such-thing", ws.ConnectionString);

        Assert.Equal(2, code);
        Assert.Contains("no-such-thing: neither a directory, a file, nor a database URL", error);
    }

    [Fact]
    public async Task Diff_as_sql_is_a_migration_that_closes_the_difference()
    {
        await using var ws = Migrations(await MigrationWorkspace.CreateAsync(fixture));
        await ws.Migrator().ApplyAsync(new Stepwise.Execution.ApplyRequest());
        await ws.ExecuteAsync("CREATE TABLE hotfix (a int NOT NULL, note text); CREATE INDEX hotfix_a ON hotfix (a); COMMENT ON TABLE hotfix IS 'made by hand'");

        var sql = await Run(ws, "diff", ws.Directory, ws.ConnectionString, "--format", "sql");
        var drift = await Run(ws, "drift", "--dev-url", fixture.ConnectionString);
        await using var copy = Migrations(await MigrationWorkspace.CreateAsync(fixture));
        copy.Write("3_hotfix.sql", sql.Out);
        File.Delete(Path.Combine(copy.Directory, "stepwise.sum"));
        copy.WriteSum();
        await copy.Migrator().ApplyAsync(new Stepwise.Execution.ApplyRequest());
        var same = await Run(ws, "diff", ws.ConnectionString, copy.ConnectionString);

        Assert.True(sql.Code == 1, sql.Error);
        Assert.StartsWith(Stepwise.Catalog.SchemaSql.Header, sql.Out, StringComparison.Ordinal);
        Assert.Contains("CREATE TABLE \"public\".\"hotfix\"", sql.Out, StringComparison.Ordinal);
        Assert.Contains("CREATE INDEX hotfix_a ON public.hotfix", sql.Out, StringComparison.Ordinal); // a new table needs no CONCURRENTLY
        Assert.True(same.Code == 0, same.Out);
        Assert.Equal(1, drift.Code);
        Assert.Contains("added table public.hotfix", drift.Out);
        Assert.Contains("replaying the directory up to it on a scratch database on the dev server", drift.Error);
        Assert.Equal(0L, await ScalarOn(fixture.ConnectionString, "SELECT count(*) FROM pg_database WHERE datname LIKE 'stepwise\\_scratch\\_%'"));
    }

    [Fact]
    public async Task Inspect_as_sql_rebuilds_the_schema_in_an_empty_database()
    {
        await using var ws = Migrations(await MigrationWorkspace.CreateAsync(fixture));
        await ws.Migrator().ApplyAsync(new Stepwise.Execution.ApplyRequest());
        await using var copy = await MigrationWorkspace.CreateAsync(fixture);

        var sql = await Run(ws, "inspect", "--format", "sql");
        copy.Write("1_all.sql", sql.Out).WriteSum();
        await copy.Migrator().ApplyAsync(new Stepwise.Execution.ApplyRequest());
        var diff = await Run(ws, "diff", ws.ConnectionString, copy.ConnectionString);

        Assert.True(sql.Code == 0, sql.Error);
        Assert.True(diff.Code == 0, diff.Out);
    }

    [Fact]
    public async Task Verify_on_a_dev_server_uses_a_scratch_database_and_drops_it()
    {
        await using var ws = Migrations(await MigrationWorkspace.CreateAsync(fixture));

        var verify = await Run(ws, "verify", "--dev-url", fixture.ConnectionString);
        var noRights = await Run(ws, "verify", "--dev-url", await RoleWithoutCreateDb());

        Assert.True(verify.Code == 0, verify.Out + verify.Error);
        Assert.Contains("verified: 2 applied from scratch, 0 round-tripped: none has a down section", verify.Out);
        Assert.Equal(0L, await ScalarOn(fixture.ConnectionString, "SELECT count(*) FROM pg_database WHERE datname LIKE 'stepwise\\_scratch\\_%'"));
        Assert.Equal(2, noRights.Code);
        Assert.Contains("the dev database's role cannot create databases", noRights.Error);
        Assert.DoesNotContain("s3cret", noRights.Out + noRights.Error);
    }

    [Fact]
    public async Task Verify_writes_the_run_document_of_apply_with_measured_locks_on_the_steps()
    {
        await using var ws = (await MigrationWorkspace.CreateAsync(fixture))
            .Write("1_runs.sql", "-- stepwise:up\nCREATE TABLE runs (id bigint PRIMARY KEY, state text);\n-- stepwise:down\nDROP TABLE runs;\n")
            .Write("2_plain.sql", "-- stepwise:up\nCREATE INDEX runs_state ON runs (state);\n-- stepwise:down\nDROP INDEX runs_state;\n").WriteSum();

        var json = await Run(ws, "verify", "--dev-url", fixture.ConnectionString, "--format", "json");
        var text = await Run(ws, "verify", "--dev-url", fixture.ConnectionString);

        Assert.True(json.Code == 0, json.Out + json.Error);
        var root = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal(2, root.GetProperty("outputVersion").GetInt32());
        Assert.True(root.GetProperty("ok").GetBoolean());
        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["1_runs.sql up", "1_runs.sql down", "1_runs.sql up", "2_plain.sql up", "2_plain.sql down", "2_plain.sql up"],
            runs.Select(r => $"{r.GetProperty("file").GetString()} {r.GetProperty("phase").GetString()}"));
        var index = runs[3].GetProperty("steps")[0];
        Assert.Equal("CREATE INDEX", index.GetProperty("kind").GetString());
        Assert.Equal("SHARE", index.GetProperty("measured").GetProperty("public.runs").GetString());
        Assert.False(index.GetProperty("disagrees").GetBoolean());
        Assert.False(runs[5].GetProperty("steps")[0].TryGetProperty("measured", out _));
        Assert.False(root.TryGetProperty("locks", out _)); // version 1's separate list is gone
        Assert.True(text.Code == 0, text.Out + text.Error);
        Assert.Contains("CREATE INDEX runs_state ON runs (state)", text.Out);
        Assert.Contains("SHARE on public.runs", text.Out);
        Assert.Contains("verified: 2 applied from scratch, 2 round-tripped", text.Out);
    }

    private static MigrationWorkspace NeedsAuthSchema(MigrationWorkspace ws) => ws
        .Write("1_users.sql", "-- stepwise:up\nCREATE TABLE auth.users (id int PRIMARY KEY);\n")
        .Write("2_sessions.sql", "-- stepwise:up\nCREATE TABLE auth.sessions (user_id int REFERENCES auth.users);\n");

    /// <summary>A file outside the migration directory (which holds only migrations).</summary>
    private static string Scratch(string name, string content)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("stepwise-setup-").FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task Verify_runs_setup_sql_first_and_counts_exactly_what_it_checked()
    {
        await using var ws = NeedsAuthSchema(await MigrationWorkspace.CreateAsync(fixture))
            .Write("3_notes.sql", "-- stepwise:up\nCREATE TABLE notes (a int);\n-- stepwise:down\nDROP TABLE notes;\n").WriteSum();
        await using var noDowns = NeedsAuthSchema(await MigrationWorkspace.CreateAsync(fixture)).WriteSum();
        var setup = Scratch("prepare.sql", "CREATE SCHEMA auth;\n");

        var unprepared = await Run(ws, "verify", "--dev-url", fixture.ConnectionString);
        var prepared = await Run(ws, "verify", "--dev-url", fixture.ConnectionString, "--setup", setup);
        var json = await Run(ws, "verify", "--dev-url", fixture.ConnectionString, "--format", "json");
        var none = await Run(noDowns, "verify", "--dev-url", fixture.ConnectionString, "--setup", setup);

        Assert.Equal(1, unprepared.Code);
        Assert.Contains("1 problem(s): 0 applied from scratch, 0 round-tripped; stopped at 1 of 3 (2 later migration(s) not checked)", unprepared.Out);
        Assert.Contains("--setup FILE", unprepared.Out);
        Assert.True(prepared.Code == 0, prepared.Out + prepared.Error);
        Assert.Contains("verified: 3 applied from scratch, 1 round-tripped (2 without a down section)", prepared.Out);
        Assert.Contains("2 migration(s) have no down section, so they were not round-tripped: 1_users.sql, 2_sessions.sql", prepared.Error);
        var root = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal((3, 0, 0, 1), (root.GetProperty("migrations").GetInt32(), root.GetProperty("applied").GetInt32(), root.GetProperty("roundTripped").GetInt32(), root.GetProperty("stoppedAt").GetInt32()));
        Assert.True(none.Code == 0, none.Out + none.Error);
        Assert.Contains("verified: 2 applied from scratch, 0 round-tripped: none has a down section", none.Out);
    }

    [Fact]
    public async Task Drift_says_the_replay_failed_without_apply_advice_and_takes_setup_from_the_configuration()
    {
        await using var ws = NeedsAuthSchema(await MigrationWorkspace.CreateAsync(fixture)).WriteSum();
        await ws.ExecuteAsync("CREATE SCHEMA auth");
        await ws.Migrator().ApplyAsync(new Stepwise.Execution.ApplyRequest());
        var setup = Scratch("prepare.sql", "CREATE SCHEMA auth;\n");
        var config = Path.Combine(Path.GetDirectoryName(setup)!, "stepwise.json");
        File.WriteAllText(config, "{ \"setup\": \"prepare.sql\" }");

        var unprepared = await Run(ws, "drift", "--dev-url", fixture.ConnectionString);
        var prepared = await Run(ws, "drift", "--dev-url", fixture.ConnectionString, "--config", config);

        Assert.Equal(2, unprepared.Code);
        Assert.Contains("so drift compared nothing: 1_users.sql:2:", unprepared.Error);
        Assert.Contains("schema \"auth\" does not exist", unprepared.Error);
        Assert.Contains("--setup FILE", unprepared.Error);
        Assert.DoesNotContain("next:", unprepared.Error);
        Assert.DoesNotContain("stepwise apply", unprepared.Error);
        Assert.True(prepared.Code == 0, prepared.Out + prepared.Error);
        Assert.Contains("no drift: the database matches its migrations up to version 2", prepared.Out);
    }

    [Fact]
    public async Task Drift_says_the_replay_failed_when_an_operation_migration_needs_a_table_made_before_the_first_migration()
    {
        // A database adopted with its tables made by hand: the first migration is an operation migration on one of them.
        await using var ws = (await MigrationWorkspace.CreateAsync(fixture))
            .Write("1_note.yaml", "operations:\n  - add_column:\n      table: accounts\n      column: { name: note, type: text, nullable: true }\n").WriteSum();
        await ws.ExecuteAsync("CREATE TABLE accounts (id int PRIMARY KEY)");
        await ws.Migrator().ApplyAsync(new Stepwise.Execution.ApplyRequest { Complete = true });
        var setup = Scratch("prepare.sql", "CREATE TABLE accounts (id int PRIMARY KEY);\n");

        var unprepared = await Run(ws, "drift", "--dev-url", fixture.ConnectionString);
        var prepared = await Run(ws, "drift", "--dev-url", fixture.ConnectionString, "--setup", setup);

        Assert.Equal(2, unprepared.Code);
        Assert.Contains("so drift compared nothing: 1_note.yaml cannot be planned there", unprepared.Error);
        Assert.Matches(@"1_note\.yaml:\d+:\d+: error: table public\.accounts does not exist", unprepared.Error);
        Assert.Contains("--setup FILE", unprepared.Error);
        Assert.Contains("stepwise inspect --format sql", unprepared.Error);
        Assert.DoesNotContain("this database", unprepared.Error);
        Assert.True(prepared.Code == 0, prepared.Out + prepared.Error);
        Assert.Contains("no drift: the database matches its migrations up to version 1", prepared.Out);
    }

    [Fact]
    public async Task Setup_sql_that_fails_is_named_by_place_and_nothing_is_replayed()
    {
        await using var ws = NeedsAuthSchema(await MigrationWorkspace.CreateAsync(fixture)).WriteSum();
        var setup = Scratch("prepare.sql", "CREATE SCHEMA auth;\nCREATE TABLE nowhere.t (a int);\n");

        var (code, output, error) = await Run(ws, "verify", "--dev-url", fixture.ConnectionString, "--setup", setup);

        Assert.Equal(2, code);
        Assert.Contains("the setup SQL fails on the throwaway database, so nothing was replayed", error);
        Assert.Matches(@"prepare\.sql:2:\d+: error: 3F000: schema ""nowhere"" does not exist", error);
        Assert.DoesNotContain("applied from scratch", output);
        Assert.Equal(0L, await ScalarOn(fixture.ConnectionString, "SELECT count(*) FROM pg_database WHERE datname LIKE 'stepwise\\_scratch\\_%'"));
    }

    private async Task<string> RoleWithoutCreateDb()
    {
        await using (var connection = new Npgsql.NpgsqlConnection(fixture.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'no_createdb') THEN CREATE ROLE no_createdb LOGIN PASSWORD 's3cret'; END IF; END $$", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new Npgsql.NpgsqlConnectionStringBuilder(fixture.ConnectionString) { Username = "no_createdb", Password = "s3cret" }.ConnectionString;
    }

    private static async Task<long> ScalarOn(string connectionString, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
