using System.Text;
using System.Text.Json;
using Stepwise.Catalog;
using Stepwise.Import;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Import;

/// <summary>
/// Each tool's migrations applied the way the tool applies them (its own history table, created as the
/// tool creates it), then imported, baselined from that table, and compared with a database built by
/// Stepwise from the imported directory.
/// </summary>
public class ImportBaselineTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static string EfFixture(string name) => Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures", "ef", name);

    [Theory]
    [InlineData("plain.sql", 3)]
    [InlineData("idempotent.sql", 3)]
    [InlineData("suppress-transaction.sql", 4)]
    public async Task EF_script_applied_by_EF_then_imported_and_baselined_shows_everything_applied(string script, int count)
    {
        await using var ef = await MigrationWorkspace.CreateAsync(fixture);
        await RunAsPsqlAsync(ef, await File.ReadAllTextAsync(EfFixture(script)));

        var imported = await ef.RunCliAsync("import", "ef", EfFixture(script));
        var baseline = await ef.RunCliAsync("baseline", "--from-ef");
        var status = await ef.RunCliAsync("status", "--format", "json");

        Assert.Equal(0, imported.Code);
        Assert.Equal(0, baseline.Code);
        Assert.Contains("marked applied: 20240301170000_UniqueMemberEmail.sql", baseline.Out);
        Assert.Equal(0, status.Code);
        AssertAllApplied(status.Out, count);
        Assert.Equal((long)count, await ef.ScalarAsync<long>("SELECT count(*) FROM \"__EFMigrationsHistory\"")); // only read
        await AssertSameSchemaAsBuiltByStepwiseAsync(ef, "DROP TABLE \"__EFMigrationsHistory\"");
    }

    [Fact]
    public async Task Dbmate_directory_baselined_from_schema_migrations_marks_exactly_the_applied_versions()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        using var source = new SourceDir();
        source.Write("20240101120000_create_users.sql", "-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY);\n-- migrate:down\nDROP TABLE users;\n");
        source.Write("20240102120000_add_email.sql", "-- migrate:up\nALTER TABLE users ADD COLUMN email text;\n-- migrate:down\nALTER TABLE users DROP COLUMN email;\n");
        source.Write("20240103120000_index_email.sql", "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n-- migrate:down\nDROP INDEX users_email;\n");
        // What dbmate does for the first two: its table, each up section, its version.
        await ws.ExecuteAsync("""
            CREATE TABLE IF NOT EXISTS public.schema_migrations (version character varying(128) NOT NULL PRIMARY KEY);
            CREATE TABLE users (id bigint PRIMARY KEY);
            INSERT INTO public.schema_migrations (version) VALUES ('20240101120000');
            ALTER TABLE users ADD COLUMN email text;
            INSERT INTO public.schema_migrations (version) VALUES ('20240102120000');
            """);

        var imported = await ws.RunCliAsync("import", "dbmate", source.Path);
        var baseline = await ws.RunCliAsync("baseline", "--from", "dbmate");
        var pending = await ws.RunCliAsync("status");
        var applied = await ws.RunCliAsync("apply");
        var status = await ws.RunCliAsync("status", "--format", "json");

        Assert.Equal(0, imported.Code);
        Assert.Equal(0, baseline.Code);
        Assert.Contains("2 migration(s) recorded", baseline.Out);
        Assert.Equal(1, pending.Code);
        Assert.Equal(0, applied.Code);
        AssertAllApplied(status.Out, 3);
        Assert.Equal("users_email", await ws.ScalarAsync<string>("SELECT indexname::text FROM pg_indexes WHERE tablename = 'users' AND indexname = 'users_email'"));
        await AssertSameSchemaAsBuiltByStepwiseAsync(ws, "DROP TABLE schema_migrations");
    }

    [Fact]
    public async Task Flyway_directory_baselined_from_flyway_schema_history()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        using var source = new SourceDir();
        const string V1 = "CREATE TABLE users (id bigint PRIMARY KEY);\n";
        const string V11 = "ALTER TABLE users ADD COLUMN email text;\n";
        const string V2 = "ALTER TABLE users ADD COLUMN name text;\n";
        const string Rold = "CREATE OR REPLACE VIEW user_emails AS SELECT id FROM users;\n";
        const string R = "CREATE OR REPLACE VIEW user_emails AS SELECT id, email FROM users;\n";
        source.Write("V1__create_users.sql", V1);
        source.Write("U1__create_users.sql", "DROP TABLE users;\n");
        source.Write("V1.1__add_email.sql", V11);
        source.Write("V2__add_name.sql", V2);
        source.Write("R__user_emails.sql", R);
        // What Flyway does on PostgreSQL: its table, then each script and its row (checksums as Flyway computes them).
        await ws.ExecuteAsync($"""
            CREATE TABLE "public"."flyway_schema_history" (
                "installed_rank" INT NOT NULL,
                "version" VARCHAR(50),
                "description" VARCHAR(200) NOT NULL,
                "type" VARCHAR(20) NOT NULL,
                "script" VARCHAR(1000) NOT NULL,
                "checksum" INTEGER,
                "installed_by" VARCHAR(100) NOT NULL,
                "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
                "execution_time" INTEGER NOT NULL,
                "success" BOOLEAN NOT NULL
            );
            ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
            CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");
            {V1}
            INSERT INTO flyway_schema_history VALUES (1, '1', 'create users', 'SQL', 'V1__create_users.sql', {FlywayImport.Checksum(V1)}, 'app', now(), 4, true);
            {Rold}
            INSERT INTO flyway_schema_history VALUES (2, NULL, 'user emails', 'SQL', 'R__user_emails.sql', {FlywayImport.Checksum(Rold)}, 'app', now(), 3, true);
            {V11}
            INSERT INTO flyway_schema_history VALUES (3, '1.1', 'add email', 'SQL', 'V1.1__add_email.sql', {FlywayImport.Checksum(V11)}, 'app', now(), 2, true);
            {R}
            INSERT INTO flyway_schema_history VALUES (4, NULL, 'user emails', 'SQL', 'R__user_emails.sql', {FlywayImport.Checksum(R)}, 'app', now(), 3, true);
            """);

        var imported = await ws.RunCliAsync("import", "flyway", source.Path);
        var baseline = await ws.RunCliAsync("baseline", "--from", "flyway");
        var status = await ws.RunCliAsync("status", "--format", "json");
        var apply = await ws.RunCliAsync("apply");
        var after = await ws.RunCliAsync("status", "--format", "json");

        Assert.Equal(0, imported.Code);
        Assert.Contains("converted V1__create_users.sql + U1__create_users.sql → 10_create_users.sql", imported.Out);
        Assert.Equal(0, baseline.Code);
        Assert.Contains("marked applied: 10_create_users.sql", baseline.Out);
        Assert.Contains("marked applied: 11_add_email.sql", baseline.Out);
        Assert.Contains("marked applied: R_user_emails.sql", baseline.Out); // Flyway last ran this very content
        Assert.DoesNotContain("20_add_name.sql", baseline.Out); // Flyway never ran V2
        Assert.Equal(1, status.Code);
        Assert.Equal(0, apply.Code);
        Assert.Contains("20_add_name.sql", apply.Out);
        Assert.DoesNotContain("R_user_emails.sql", apply.Out);
        AssertAllApplied(after.Out, 4);
        await AssertSameSchemaAsBuiltByStepwiseAsync(ws, "DROP TABLE flyway_schema_history");
    }

    [Fact]
    public async Task Flyway_baseline_rows_cover_older_versions_and_a_successful_undo_removes_one()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        using var source = new SourceDir();
        source.Write("V1__a.sql", "CREATE TABLE a (id int);\n");
        source.Write("V1_1__b.sql", "CREATE TABLE b (id int);\n");
        source.Write("V2__c.sql", "CREATE TABLE c (id int);\n");
        source.Write("U2__c.sql", "DROP TABLE c;\n");
        source.Write("V3__d.sql", "CREATE TABLE d (id int);\n");
        await ws.ExecuteAsync("""
            CREATE TABLE flyway_schema_history (
                installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL,
                script VARCHAR(1000) NOT NULL, checksum INTEGER, installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT now(),
                execution_time INTEGER NOT NULL, success BOOLEAN NOT NULL);
            CREATE TABLE a (id int);
            CREATE TABLE b (id int);
            INSERT INTO flyway_schema_history VALUES (1, '1.1', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'app', now(), 0, true);
            INSERT INTO flyway_schema_history VALUES (2, '2', 'c', 'SQL', 'V2__c.sql', 1, 'app', now(), 1, true);
            INSERT INTO flyway_schema_history VALUES (3, '2', 'c', 'UNDO_SQL', 'U2__c.sql', 2, 'app', now(), 1, true);
            INSERT INTO flyway_schema_history VALUES (4, '3', 'd', 'SQL', 'V3__d.sql', 3, 'app', now(), 1, false);
            """);

        var imported = await ws.RunCliAsync("import", "flyway", source.Path);
        var baseline = await ws.RunCliAsync("baseline", "--from", "flyway", "--format", "json");

        Assert.Equal(0, imported.Code);
        Assert.Equal(0, baseline.Code);
        using var json = JsonDocument.Parse(baseline.Out);
        Assert.Equal(["10_a.sql", "11_b.sql"], json.RootElement.GetProperty("baseline").EnumerateArray().Select(m => m.GetProperty("file").GetString()));
    }

    [Fact]
    public async Task A_flyway_baseline_migration_covers_the_versions_squashed_into_it_when_baselining_from_flyway()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        using var source = new SourceDir();
        // The directory lost V1..V2_4 when they were squashed into B2_4; the database was migrated through them before.
        source.Write("B2_4__squashed.sql", "CREATE TABLE devices (id bigint PRIMARY KEY);\n");
        source.Write("V2_5__device_name.sql", "ALTER TABLE devices ADD COLUMN name text;\n");
        source.Write("V2_6__device_index.sql", "CREATE INDEX devices_name ON devices (name);\n");
        await ws.ExecuteAsync("""
            CREATE TABLE flyway_schema_history (
                installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL,
                script VARCHAR(1000) NOT NULL, checksum INTEGER, installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT now(),
                execution_time INTEGER NOT NULL, success BOOLEAN NOT NULL);
            CREATE TABLE devices (id bigint PRIMARY KEY, name text);
            INSERT INTO flyway_schema_history VALUES (1, '1', 'devices', 'SQL', 'V1__devices.sql', 1, 'app', now(), 1, true);
            INSERT INTO flyway_schema_history VALUES (2, '2.4', 'rework', 'SQL', 'V2_4__rework.sql', 2, 'app', now(), 1, true);
            INSERT INTO flyway_schema_history VALUES (3, '2.5', 'device name', 'SQL', 'V2_5__device_name.sql', 3, 'app', now(), 1, true);
            """);

        var imported = await ws.RunCliAsync("import", "flyway", source.Path);
        var baseline = await ws.RunCliAsync("baseline", "--from", "flyway", "--format", "json");
        var apply = await ws.RunCliAsync("apply");

        Assert.Equal(0, imported.Code);
        Assert.Equal(0, baseline.Code);
        using var json = JsonDocument.Parse(baseline.Out);
        Assert.Equal(["24_squashed.sql", "25_device_name.sql"], json.RootElement.GetProperty("baseline").EnumerateArray().Select(m => m.GetProperty("file").GetString()));
        Assert.Equal(0, apply.Code);
        Assert.Contains("26_device_index.sql", apply.Out, StringComparison.Ordinal);
        Assert.Equal(1L, await ws.ScalarAsync<long>("SELECT count(*) FROM pg_indexes WHERE indexname = 'devices_name'"));
    }

    [Fact]
    public async Task Atlas_directory_baselined_from_atlas_schema_revisions()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        using var source = new SourceDir();
        var files = new[]
        {
            ("20240101120000_init.sql", "-- Create \"users\" table\nCREATE TABLE \"users\" (\"id\" bigint NOT NULL, PRIMARY KEY (\"id\"));\n"),
            ("20240102120000_email.sql", "-- Modify \"users\" table\nALTER TABLE \"users\" ADD COLUMN \"email\" text NULL;\n"),
        };
        foreach (var (name, content) in files)
        {
            source.Write(name, content);
        }
        source.Write(AtlasImport.SumFileName, AtlasImport.Render(files.Select(f => (f.Item1, Encoding.UTF8.GetBytes(f.Item2)))));
        await ws.ExecuteAsync("""
            CREATE SCHEMA "atlas_schema_revisions";
            CREATE TABLE "atlas_schema_revisions"."atlas_schema_revisions" (
                "version" character varying NOT NULL, "description" character varying NOT NULL, "type" bigint NOT NULL DEFAULT 2,
                "applied" bigint NOT NULL DEFAULT 0, "total" bigint NOT NULL DEFAULT 0, "executed_at" timestamptz NOT NULL,
                "execution_time" bigint NOT NULL, "error" text NULL, "error_stmt" text NULL, "hash" character varying NOT NULL,
                "partial_hashes" jsonb NULL, "operator_version" character varying NOT NULL, PRIMARY KEY ("version"));
            INSERT INTO "atlas_schema_revisions"."atlas_schema_revisions" VALUES
                ('.atlas_cloud_identifier', 'b3c1f0a2-0000-4000-8000-000000000000', 0, 0, 0, now(), 0, NULL, NULL, '', NULL, 'Atlas CLI v0.30.0');
            CREATE TABLE "users" ("id" bigint NOT NULL, PRIMARY KEY ("id"));
            INSERT INTO "atlas_schema_revisions"."atlas_schema_revisions" VALUES
                ('20240101120000', 'init', 2, 1, 1, now(), 1000, NULL, NULL, 'h1', NULL, 'Atlas CLI v0.30.0');
            ALTER TABLE "users" ADD COLUMN "email" text NULL;
            INSERT INTO "atlas_schema_revisions"."atlas_schema_revisions" VALUES
                ('20240102120000', 'email', 2, 1, 1, now(), 1000, NULL, NULL, 'h2', NULL, 'Atlas CLI v0.30.0');
            """);

        var imported = await ws.RunCliAsync("import", "atlas", source.Path);
        var baseline = await ws.RunCliAsync("baseline", "--from", "atlas");
        var status = await ws.RunCliAsync("status", "--format", "json");

        Assert.Equal(0, imported.Code);
        Assert.Equal(0, baseline.Code);
        Assert.Equal(0, status.Code);
        AssertAllApplied(status.Out, 2);
        await AssertSameSchemaAsBuiltByStepwiseAsync(ws, "DROP SCHEMA atlas_schema_revisions CASCADE");
    }

    [Fact]
    public async Task Baseline_refuses_a_partially_applied_Atlas_revision()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        using var source = new SourceDir();
        var files = new[] { ("1_a.sql", "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n") };
        source.Write(files[0].Item1, files[0].Item2);
        source.Write(AtlasImport.SumFileName, AtlasImport.Render(files.Select(f => (f.Item1, Encoding.UTF8.GetBytes(f.Item2)))));
        await ws.ExecuteAsync("""
            CREATE TABLE atlas_schema_revisions (version character varying NOT NULL PRIMARY KEY, description character varying NOT NULL,
                type bigint NOT NULL DEFAULT 2, applied bigint NOT NULL DEFAULT 0, total bigint NOT NULL DEFAULT 0);
            CREATE TABLE a (id int);
            INSERT INTO atlas_schema_revisions VALUES ('1', 'a', 2, 1, 2);
            """);

        var imported = await ws.RunCliAsync("import", "atlas", source.Path);
        var baseline = await ws.RunCliAsync("baseline", "--from", "atlas");

        Assert.Equal(0, imported.Code);
        Assert.Equal(2, baseline.Code);
        Assert.Contains("atlas_schema_revisions says 1 is only partially applied", baseline.Error);
        Assert.Contains("finish or resolve it with atlas first", baseline.Error);
    }

    [Fact]
    public async Task Baseline_refuses_when_the_other_tool_applied_a_migration_that_was_not_imported()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        using var source = new SourceDir();
        source.Write("1_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\n");
        await ws.ExecuteAsync("""
            CREATE TABLE schema_migrations (version character varying(128) NOT NULL PRIMARY KEY);
            INSERT INTO schema_migrations VALUES ('1'), ('2');
            """);

        var imported = await ws.RunCliAsync("import", "dbmate", source.Path);
        var baseline = await ws.RunCliAsync("baseline", "--from", "dbmate");
        var flyway = await ws.RunCliAsync("baseline", "--from", "flyway");

        Assert.Equal(0, imported.Code);
        Assert.Equal(2, baseline.Code);
        Assert.Contains("schema_migrations lists 2 as applied, but no migration in the directory was imported from it", baseline.Error);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM stepwise.migrations"));
        Assert.Equal(2, flyway.Code);
        Assert.Contains("no flyway history table", flyway.Error);
    }

    private static string Fixture(string tool, string file = "") => Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures", tool, file);

    /// <summary>What goose runs of a file: everything above its Down annotation (annotations are comments to PostgreSQL).</summary>
    private static string GooseUp(string file)
    {
        var text = File.ReadAllText(Fixture("goose", file));
        var down = text.IndexOf("-- +goose Down", StringComparison.OrdinalIgnoreCase);
        return down < 0 ? text : text[..down];
    }

    [Fact]
    public async Task Goose_directory_imports_applies_and_baselines_from_goose_db_version_latest_row_per_version()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        // goose's table as goose creates it on PostgreSQL, then up 1, 2, 3 and down 3 (goose before v3.16 wrote is_applied = false for a down).
        await ws.ExecuteAsync("""
            CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL DEFAULT now(), PRIMARY KEY (id));
            INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true);
            """);
        await RunAsPsqlAsync(ws, GooseUp("00001_create_users.sql") + "INSERT INTO goose_db_version (version_id, is_applied) VALUES (1, true);");
        await RunAsPsqlAsync(ws, GooseUp("00002_add_email.sql") + "INSERT INTO goose_db_version (version_id, is_applied) VALUES (2, true);");
        await RunAsPsqlAsync(ws, GooseUp("00003_index_email.sql") + "INSERT INTO goose_db_version (version_id, is_applied) VALUES (3, true);");
        await ws.ExecuteAsync("DROP INDEX users_email; INSERT INTO goose_db_version (version_id, is_applied) VALUES (3, false);");

        var imported = await ws.RunCliAsync("import", "goose", Fixture("goose"));
        var baseline = await ws.RunCliAsync("baseline", "--from", "goose", "--format", "json");
        var apply = await ws.RunCliAsync("apply");
        var status = await ws.RunCliAsync("status", "--format", "json");

        Assert.Equal(0, imported.Code);
        Assert.Contains("converted 00001_create_users.sql → 00001_create_users.sql", imported.Out);
        Assert.Equal(0, baseline.Code);
        using (var json = JsonDocument.Parse(baseline.Out))
        {
            Assert.Equal(["00001_create_users.sql", "00002_add_email.sql"], json.RootElement.GetProperty("baseline").EnumerateArray().Select(m => m.GetProperty("file").GetString()));
        }
        Assert.Equal(0, apply.Code);
        Assert.Contains("00003_index_email.sql", apply.Out);
        Assert.Equal(0, status.Code);
        AssertAllApplied(status.Out, 4);
        Assert.Equal("${APP_REGION}", await ws.ScalarAsync<string>("SELECT value FROM settings WHERE key = 'region'"));
        await AssertSameSchemaAsBuiltByStepwiseAsync(ws, "DROP TABLE goose_db_version");
    }

    [Fact]
    public async Task Baseline_from_goose_with_skip_code_leaves_out_the_go_migrations_the_import_skipped_and_names_them()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        var source = Directory.CreateTempSubdirectory("stepwise-goose-code-").FullName;
        File.WriteAllText(Path.Combine(source, "00001_a.sql"), "-- +goose Up\nCREATE TABLE a (id int);\n");
        File.WriteAllText(Path.Combine(source, "00002_fill_a.go"), "package migrations\n");
        File.WriteAllText(Path.Combine(source, "00003_c.sql"), "-- +goose Up\nCREATE TABLE c (id int);\n");
        // As goose left the database: all three ran (the Go one filled a).
        await ws.ExecuteAsync("""
            CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL DEFAULT now(), PRIMARY KEY (id));
            INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true), (2, true), (3, true);
            CREATE TABLE a (id int); INSERT INTO a VALUES (1); CREATE TABLE c (id int);
            """);

        var imported = await ws.RunCliAsync("import", "goose", source, "--skip-code");
        var refused = await ws.RunCliAsync("baseline", "--from", "goose");
        var misplaced = await ws.RunCliAsync("baseline", "5", "--skip-code");
        var baseline = await ws.RunCliAsync("baseline", "--from", "goose", "--skip-code");
        var status = await ws.RunCliAsync("status");

        Assert.Equal(0, imported.Code);
        Assert.Equal(2, refused.Code);
        Assert.Contains("goose_db_version lists 2 as applied, but no migration in the directory was imported from it", refused.Error);
        Assert.Equal(2, misplaced.Code);
        Assert.Contains("--skip-code goes with --from TOOL", misplaced.Error);
        Assert.True(baseline.Code == 0, baseline.Out + baseline.Error);
        Assert.Contains("marked applied: 00001_a.sql", baseline.Out);
        Assert.Contains("marked applied: 00003_c.sql", baseline.Out);
        Assert.Contains("goose_db_version lists 2 as applied, but no migration in the directory was imported from it: left out (--skip-code)", baseline.Error);
        Assert.Equal(0, status.Code);
    }

    [Fact]
    public async Task Baseline_from_golang_migrate_on_a_dbmate_schema_migrations_names_the_table_and_the_other_tool()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY); INSERT INTO schema_migrations VALUES ('20240101000000')");
        var imported = await ws.RunCliAsync("import", "golang-migrate", Fixture("golang-migrate"));

        var baseline = await ws.RunCliAsync("baseline", "--from", "golang-migrate");

        Assert.Equal(0, imported.Code);
        Assert.Equal(2, baseline.Code);
        Assert.Contains("schema_migrations is not the history table golang-migrate writes: it has no column dirty", baseline.Error);
        Assert.Contains("baseline --from dbmate", baseline.Error);
        Assert.DoesNotContain("42703", baseline.Error);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM stepwise.migrations"));
    }

    [Fact]
    public async Task Golang_migrate_directory_baselines_up_to_schema_migrations_version_and_refuses_a_dirty_one()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("""CREATE TABLE IF NOT EXISTS "schema_migrations" (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);""");
        await RunAsPsqlAsync(ws, File.ReadAllText(Fixture("golang-migrate", "000001_create_accounts.up.sql")));
        await RunAsPsqlAsync(ws, File.ReadAllText(Fixture("golang-migrate", "000002_add_account_status.up.sql")));
        await ws.ExecuteAsync("INSERT INTO schema_migrations VALUES (3, true)"); // golang-migrate marks dirty before running a file
        await ws.ExecuteAsync("UPDATE schema_migrations SET version = 2, dirty = false");

        var imported = await ws.RunCliAsync("import", "golang-migrate", Fixture("golang-migrate"));
        await ws.ExecuteAsync("UPDATE schema_migrations SET version = 3, dirty = true");
        var dirty = await ws.RunCliAsync("baseline", "--from", "golang-migrate");
        await ws.ExecuteAsync("UPDATE schema_migrations SET version = 2, dirty = false");
        var baseline = await ws.RunCliAsync("baseline", "--from", "golang-migrate", "--format", "json");
        var apply = await ws.RunCliAsync("apply");
        var status = await ws.RunCliAsync("status", "--format", "json");

        Assert.Equal(0, imported.Code);
        Assert.Equal(2, dirty.Code);
        Assert.Contains("schema_migrations is dirty at version 3", dirty.Error);
        Assert.Contains("migrate force 3", dirty.Error);
        Assert.Equal(0, baseline.Code);
        using (var json = JsonDocument.Parse(baseline.Out))
        {
            Assert.Equal(["000001_create_accounts.sql", "000002_add_account_status.sql"], json.RootElement.GetProperty("baseline").EnumerateArray().Select(m => m.GetProperty("file").GetString()));
        }
        Assert.Equal(0, apply.Code);
        Assert.Equal(0, status.Code);
        AssertAllApplied(status.Out, 3);
        await AssertSameSchemaAsBuiltByStepwiseAsync(ws, "DROP TABLE schema_migrations");
    }

    /// <summary>What sql-migrate runs of a file going up: its Up section (annotations are comments to PostgreSQL).</summary>
    private static string SqlMigrateUp(string file)
    {
        var text = File.ReadAllText(Fixture("sql-migrate", file));
        var down = text.IndexOf("-- +migrate Down", StringComparison.Ordinal);
        return down < 0 ? text : text[..down];
    }

    /// <summary>sql-migrate's table as gorp creates it on PostgreSQL.</summary>
    private const string GorpMigrationsTable = """CREATE TABLE IF NOT EXISTS "gorp_migrations" ("id" text NOT NULL PRIMARY KEY, "applied_at" timestamp with time zone);""";

    [Fact]
    public async Task Sql_migrate_directory_baselines_exactly_the_files_gorp_migrations_lists_by_name()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync(GorpMigrationsTable);
        // As sql-migrate left it: the first four files (two of them sharing a number) ran, each recorded by its file name.
        string[] ran = ["20240101120000_create_accounts.sql", "20240102093000-wallets.sql", "20240103080000-ledger-1.sql", "20240103080000-ledger-2.sql"];
        foreach (var file in ran)
        {
            await RunAsPsqlAsync(ws, SqlMigrateUp(file) + $"INSERT INTO gorp_migrations (id, applied_at) VALUES ('{file}', now());");
        }

        var imported = await ws.RunCliAsync("import", "sql-migrate", Fixture("sql-migrate"));
        var baseline = await ws.RunCliAsync("baseline", "--from", "sql-migrate", "--format", "json");
        var apply = await ws.RunCliAsync("apply");
        var status = await ws.RunCliAsync("status", "--format", "json");

        Assert.True(imported.Code == 0, imported.Out + imported.Error);
        Assert.Contains("converted 20240103080000-ledger-2.sql → 20240103080001_ledger-2.sql", imported.Out);
        Assert.True(baseline.Code == 0, baseline.Out + baseline.Error);
        using (var json = JsonDocument.Parse(baseline.Out))
        {
            Assert.Equal(["20240101120000_create_accounts.sql", "20240102093000_wallets.sql", "20240103080000_ledger-1.sql", "20240103080001_ledger-2.sql"],
                json.RootElement.GetProperty("baseline").EnumerateArray().Select(m => m.GetProperty("file").GetString()));
        }
        Assert.Equal("marked applied without running: sql-migrate 20240103080000-ledger-2.sql is applied in gorp_migrations",
            await ws.ScalarAsync<string>("SELECT detail FROM stepwise.events WHERE action = 'baseline' AND file = '20240103080001_ledger-2.sql'"));
        Assert.Equal(0, apply.Code);
        Assert.Contains("20240104110000_ledger-account-index.sql", apply.Out);
        Assert.Equal(0, status.Code);
        AssertAllApplied(status.Out, 6);
        await AssertSameSchemaAsBuiltByStepwiseAsync(ws, "DROP TABLE gorp_migrations");
    }

    [Fact]
    public async Task Sql_migrate_baseline_refuses_a_listed_file_that_was_not_imported_and_a_missing_table_names_the_configurable_name()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        var imported = await ws.RunCliAsync("import", "sql-migrate", Fixture("sql-migrate"));
        var noTable = await ws.RunCliAsync("baseline", "--from", "sql-migrate");
        await ws.ExecuteAsync(GorpMigrationsTable + "INSERT INTO gorp_migrations VALUES ('20240101120000_create_accounts.sql', now()), ('20231231000000_gone.sql', now());");

        var refused = await ws.RunCliAsync("baseline", "--from", "sql-migrate");
        var wrongName = await ws.RunCliAsync("baseline", "--from", "sql-migrate", "--table", "migration_info");

        Assert.Equal(0, imported.Code);
        Assert.Equal(2, noTable.Code);
        Assert.Contains("no sql-migrate history table (gorp_migrations on the search path)", noTable.Error);
        Assert.Contains("name it: stepwise baseline --from sql-migrate --table <its name>", noTable.Error);
        Assert.Equal(2, wrongName.Code);
        Assert.Contains("the database has no table migration_info (as given to --table", wrongName.Error);
        Assert.Equal(2, refused.Code);
        Assert.Contains("gorp_migrations lists 20231231000000_gone.sql as applied, but no migration in the directory was imported from it", refused.Error);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM stepwise.migrations"));
    }

    [Fact]
    public async Task Baseline_reads_a_renamed_history_table_given_with_table_as_nakamas_migration_info()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("""
            CREATE SCHEMA ops;
            CREATE TABLE ops.migration_info (id text NOT NULL PRIMARY KEY, applied_at timestamp with time zone);
            INSERT INTO ops.migration_info VALUES ('20240101120000_create_accounts.sql', now());
            """);
        await RunAsPsqlAsync(ws, "CREATE TABLE accounts (id bigint PRIMARY KEY);"); // stands for what sql-migrate ran
        var imported = await ws.RunCliAsync("import", "sql-migrate", Fixture("sql-migrate"));

        var unreadable = await ws.RunCliAsync("baseline", "--from", "sql-migrate", "--table", "a.b.c.d");
        var baseline = await ws.RunCliAsync("baseline", "--from", "sql-migrate", "--table", "ops.migration_info");
        var misplaced = await ws.RunCliAsync("baseline", "1", "--table", "ops.migration_info");

        Assert.Equal(0, imported.Code);
        Assert.True(baseline.Code == 0, baseline.Out + baseline.Error);
        Assert.Contains("marked applied: 20240101120000_create_accounts.sql", baseline.Out);
        Assert.Equal(1L, await ws.ScalarAsync<long>("SELECT count(*) FROM stepwise.migrations"));
        Assert.Equal(2, misplaced.Code);
        Assert.Contains("--table goes with --from TOOL", misplaced.Error);
        Assert.Equal(2, unreadable.Code);
        Assert.Contains("--table a.b.c.d is not a table name PostgreSQL can read", unreadable.Error);
    }

    /// <summary>What tern runs of a file going up: everything above its separator.</summary>
    private static string TernUp(string file)
    {
        var text = File.ReadAllText(Fixture("tern", file));
        var cut = text.IndexOf("---- create above / drop below ----", StringComparison.Ordinal);
        return cut < 0 ? text : text[..cut];
    }

    [Fact]
    public async Task Tern_directory_baselines_every_migration_up_to_schema_versions_one_version()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        // tern's table as tern creates it (one row, 0 before anything ran), then migrations 1 and 2.
        await ws.ExecuteAsync("CREATE TABLE public.schema_version (version int4 NOT NULL); INSERT INTO public.schema_version (version) SELECT 0;");
        await RunAsPsqlAsync(ws, TernUp("001_create_projects.sql") + ";UPDATE public.schema_version SET version = 1;");
        await RunAsPsqlAsync(ws, TernUp("002_add_owner.sql") + ";UPDATE public.schema_version SET version = 2;");

        var imported = await ws.RunCliAsync("import", "tern", Fixture("tern"));
        await ws.ExecuteAsync("UPDATE public.schema_version SET version = 7");
        var beyond = await ws.RunCliAsync("baseline", "--from", "tern");
        await ws.ExecuteAsync("UPDATE public.schema_version SET version = 0");
        var none = await ws.RunCliAsync("baseline", "--from", "tern");
        await ws.ExecuteAsync("UPDATE public.schema_version SET version = 2");
        var baseline = await ws.RunCliAsync("baseline", "--from", "tern", "--format", "json");
        var apply = await ws.RunCliAsync("apply");
        var status = await ws.RunCliAsync("status", "--format", "json");

        Assert.True(imported.Code == 0, imported.Out + imported.Error);
        Assert.Equal(2, beyond.Code);
        Assert.Contains("public.schema_version says tern applied every migration up to 7, but no migration in the directory was imported from tern version 7", beyond.Error);
        Assert.Equal(2, none.Code);
        Assert.Contains("lists no applied migration", none.Error);
        Assert.True(baseline.Code == 0, baseline.Out + baseline.Error);
        using (var json = JsonDocument.Parse(baseline.Out))
        {
            Assert.Equal(["001_create_projects.sql", "002_add_owner.sql"], json.RootElement.GetProperty("baseline").EnumerateArray().Select(m => m.GetProperty("file").GetString()));
        }
        Assert.Equal(0, apply.Code);
        Assert.Contains("003_projects_name_index.sql", apply.Out);
        Assert.Equal(0, status.Code);
        AssertAllApplied(status.Out, 4);
        await AssertSameSchemaAsBuiltByStepwiseAsync(ws, "DROP TABLE public.schema_version");
    }

    [Fact]
    public async Task Baseline_from_tern_on_a_schema_version_table_another_tool_wrote_names_it()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        // Flyway before version 5 kept its history in a table of the same name.
        await ws.ExecuteAsync("CREATE TABLE schema_version (installed_rank int PRIMARY KEY, version varchar(50), script varchar(1000) NOT NULL, success boolean NOT NULL); INSERT INTO schema_version VALUES (1, '1', 'V1__a.sql', true)");
        var imported = await ws.RunCliAsync("import", "tern", Fixture("tern"));

        var baseline = await ws.RunCliAsync("baseline", "--from", "tern");

        Assert.Equal(0, imported.Code);
        Assert.Equal(2, baseline.Code);
        Assert.Contains("schema_version is not the history table tern writes: tern's has the one column version", baseline.Error);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM stepwise.migrations"));
    }

    private const string PrismaTable = """
        CREATE TABLE "_prisma_migrations" (
            "id" VARCHAR(36) NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL,
            "logs" TEXT, "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0,
            CONSTRAINT "_prisma_migrations_pkey" PRIMARY KEY ("id"));
        """;

    [Fact]
    public async Task Prisma_directory_baselines_finished_migrations_not_rolled_back()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync(PrismaTable);
        await RunAsPsqlAsync(ws, File.ReadAllText(Fixture("prisma", "20240101120000_init/migration.sql")));
        await RunAsPsqlAsync(ws, File.ReadAllText(Fixture("prisma", "20240102093000_add_posts/migration.sql")));
        // add_posts failed once (resolved as rolled back), then ran; post_title_index never ran.
        await ws.ExecuteAsync("""
            INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, rolled_back_at, applied_steps_count) VALUES
                ('00000000-0000-4000-8000-000000000001', 'c1', now(), '20240101120000_init', NULL, 1),
                ('00000000-0000-4000-8000-000000000002', 'c2', NULL, '20240102093000_add_posts', now(), 0),
                ('00000000-0000-4000-8000-000000000003', 'c2', now(), '20240102093000_add_posts', NULL, 1);
            """);

        var imported = await ws.RunCliAsync("import", "prisma", Fixture("prisma"));
        var baseline = await ws.RunCliAsync("baseline", "--from", "prisma", "--format", "json");
        var apply = await ws.RunCliAsync("apply");
        var status = await ws.RunCliAsync("status", "--format", "json");

        Assert.Equal(0, imported.Code);
        Assert.Contains("converted 20240101120000_init/migration.sql → 20240101120000_init.sql", imported.Out);
        Assert.Equal(0, baseline.Code);
        using (var json = JsonDocument.Parse(baseline.Out))
        {
            Assert.Equal(["20240101120000_init.sql", "20240102093000_add_posts.sql"], json.RootElement.GetProperty("baseline").EnumerateArray().Select(m => m.GetProperty("file").GetString()));
        }
        Assert.Equal(0, apply.Code);
        Assert.Contains("20240103150000_post_title_index.sql", apply.Out);
        Assert.Equal(0, status.Code);
        AssertAllApplied(status.Out, 3);
        await AssertSameSchemaAsBuiltByStepwiseAsync(ws, "DROP TABLE \"_prisma_migrations\"");
    }

    [Fact]
    public async Task Prisma_baseline_refuses_a_failed_migration_that_was_not_resolved()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync(PrismaTable + """
            INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs) VALUES
                ('00000000-0000-4000-8000-000000000001', 'c1', NULL, '20240101120000_init', 'relation already exists');
            """);

        var imported = await ws.RunCliAsync("import", "prisma", Fixture("prisma"));
        var baseline = await ws.RunCliAsync("baseline", "--from", "prisma");

        Assert.Equal(0, imported.Code);
        Assert.Equal(2, baseline.Code);
        Assert.Contains("_prisma_migrations says 20240101120000_init failed part-way", baseline.Error);
        Assert.Contains("prisma migrate resolve", baseline.Error);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM stepwise.migrations"));
    }

    [Fact]
    public async Task Ent_directory_with_dashed_names_and_no_atlas_sum_baselines_from_its_revisions()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        using var source = new SourceDir();
        source.Write("20230701000000_init.sql", "-- Create \"users\" table\nCREATE TABLE \"users\" (\"id\" bigint NOT NULL, PRIMARY KEY (\"id\"));\n");
        source.Write("20230710111950-cas-backend.sql", "-- Modify \"users\" table\nALTER TABLE \"users\" ADD COLUMN \"cas\" text NULL;\n");
        source.Write("20230720000000_later.sql", "ALTER TABLE \"users\" ADD COLUMN \"later\" text NULL;\n");
        await ws.ExecuteAsync("""
            CREATE TABLE atlas_schema_revisions (version character varying NOT NULL PRIMARY KEY, description character varying NOT NULL,
                type bigint NOT NULL DEFAULT 2, applied bigint NOT NULL DEFAULT 0, total bigint NOT NULL DEFAULT 0);
            CREATE TABLE "users" ("id" bigint NOT NULL, PRIMARY KEY ("id"));
            ALTER TABLE "users" ADD COLUMN "cas" text NULL;
            INSERT INTO atlas_schema_revisions VALUES ('20230701000000', 'init', 2, 1, 1), ('20230710111950-cas-backend', '', 2, 1, 1);
            """);

        var imported = await ws.RunCliAsync("import", "atlas", source.Path);
        var baseline = await ws.RunCliAsync("baseline", "--from", "atlas");
        var apply = await ws.RunCliAsync("apply");
        var status = await ws.RunCliAsync("status", "--format", "json");

        Assert.Equal(0, imported.Code);
        Assert.Contains("the directory has no atlas.sum", imported.Error);
        Assert.Equal(0, baseline.Code);
        Assert.Contains("marked applied: 20230710111950_cas-backend.sql", baseline.Out);
        Assert.Contains("2 migration(s) recorded", baseline.Out);
        Assert.Equal(0, apply.Code);
        Assert.Equal(0, status.Code);
        AssertAllApplied(status.Out, 3);
    }

    // _sqlx_migrations as sqlx creates it on PostgreSQL.
    private const string SqlxTable = """
        CREATE TABLE IF NOT EXISTS _sqlx_migrations (
            version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
            success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL);
        """;

    private static string SqlxChecksum(string file) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA384.HashData(File.ReadAllBytes(Fixture("sqlx", file))));

    [Fact]
    public async Task Sqlx_directory_baselines_the_versions_sqlx_ran_and_refuses_one_edited_after_it_ran_or_failed_part_way()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        var (first, second) = ("20240101090000_create_users.sql", "20240102090000_add_email_and_sessions.up.sql");
        // What sqlx does for the first two: its table, each file in a transaction, a row with the file's SHA-384.
        await ws.ExecuteAsync(SqlxTable);
        await RunAsPsqlAsync(ws, File.ReadAllText(Fixture("sqlx", first)));
        await RunAsPsqlAsync(ws, File.ReadAllText(Fixture("sqlx", second)));
        await ws.ExecuteAsync($"""
            INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES
                (20240101090000, 'create users', true, decode('{SqlxChecksum(first)}', 'hex'), 1000),
                (20240102090000, 'add email and sessions', true, decode('{SqlxChecksum(first)}', 'hex'), 1000)
            """);

        var imported = await ws.RunCliAsync("import", "sqlx", Fixture("sqlx"));
        var edited = await ws.RunCliAsync("baseline", "--from", "sqlx");
        await ws.ExecuteAsync($"UPDATE _sqlx_migrations SET checksum = decode('{SqlxChecksum(second)}', 'hex') WHERE version = 20240102090000");
        await ws.ExecuteAsync("INSERT INTO _sqlx_migrations VALUES (20240103090000, 'index email', now(), false, '\\x00', 5)");
        var failed = await ws.RunCliAsync("baseline", "--from", "sqlx");
        await ws.ExecuteAsync("DELETE FROM _sqlx_migrations WHERE version = 20240103090000");
        var baseline = await ws.RunCliAsync("baseline", "--from", "sqlx");
        var apply = await ws.RunCliAsync("apply");
        var status = await ws.RunCliAsync("status", "--format", "json");

        Assert.Equal(0, imported.Code);
        Assert.Equal(2, edited.Code);
        Assert.Contains("20240102090000_add_email_and_sessions.sql: error: _sqlx_migrations recorded another checksum for 20240102090000 than 20240102090000_add_email_and_sessions.up.sql had when it was imported", edited.Error);
        Assert.Equal(2, failed.Code);
        Assert.Contains("_sqlx_migrations says version 20240103090000 failed part-way (success is false)", failed.Error);
        Assert.True(baseline.Code == 0, baseline.Out + baseline.Error);
        Assert.Contains("marked applied: 20240101090000_create_users.sql", baseline.Out);
        Assert.Contains("marked applied: 20240102090000_add_email_and_sessions.sql", baseline.Out);
        Assert.Equal(0, apply.Code); // the index, outside a transaction
        Assert.Equal(0, status.Code);
        AssertAllApplied(status.Out, 3);
        Assert.Equal(2L, await ws.ScalarAsync<long>("SELECT count(*) FROM _sqlx_migrations")); // only read
        await AssertSameSchemaAsBuiltByStepwiseAsync(ws, "DROP TABLE _sqlx_migrations");
    }

    [Fact]
    public async Task Diesel_directory_baselines_the_versions_its_table_lists_the_initial_setup_included()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        // What diesel migration run does for the first two: its table, each up.sql, a row with the version (dashes removed).
        await ws.ExecuteAsync("""
            CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
            """);
        await RunAsPsqlAsync(ws, File.ReadAllText(Fixture("diesel", "00000000000000_diesel_initial_setup/up.sql")));
        await RunAsPsqlAsync(ws, File.ReadAllText(Fixture("diesel", "2024-01-01-090000_create_posts/up.sql")));
        await ws.ExecuteAsync("INSERT INTO __diesel_schema_migrations (version) VALUES ('00000000000000'), ('20240101090000')");

        var imported = await ws.RunCliAsync("import", "diesel", Fixture("diesel"));
        var baseline = await ws.RunCliAsync("baseline", "--from", "diesel");
        var apply = await ws.RunCliAsync("apply");
        var status = await ws.RunCliAsync("status", "--format", "json");

        Assert.True(imported.Code == 0, imported.Error);
        Assert.True(baseline.Code == 0, baseline.Out + baseline.Error);
        Assert.Contains("marked applied: 00000000000001_diesel_initial_setup.sql", baseline.Out);
        Assert.Contains("marked applied: 20240101090000_create_posts.sql", baseline.Out);
        Assert.Equal(0, apply.Code); // the concurrent index, statement by statement
        Assert.Equal(0, status.Code);
        AssertAllApplied(status.Out, 3);
        await AssertSameSchemaAsBuiltByStepwiseAsync(ws, "DROP TABLE __diesel_schema_migrations");
    }

    /// <summary>Evolve's metadata table as Evolve creates it on PostgreSQL (PostgreSQLMetadataTable).</summary>
    private const string EvolveChangelog = """
        CREATE TABLE "public"."changelog" (id SERIAL PRIMARY KEY NOT NULL, type SMALLINT, version VARCHAR(50), description VARCHAR(200) NOT NULL,
            name VARCHAR(300) NOT NULL, checksum VARCHAR(32), installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT now(),
            success BOOLEAN NOT NULL);
        """;

    [Fact]
    public async Task Evolve_directory_baselined_from_changelog()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        using var source = new SourceDir();
        const string V1 = "CREATE TABLE users (id bigint PRIMARY KEY);\n";
        const string V11 = "ALTER TABLE users ADD COLUMN email text;\n";
        const string V2 = "-- evolve-tx-off\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n";
        const string Rold = "CREATE OR REPLACE VIEW user_emails AS SELECT id FROM users;\n";
        const string R = "CREATE OR REPLACE VIEW user_emails AS SELECT id, email FROM users;\n";
        source.Write("V1__create_users.sql", V1);
        source.Write("V1_1__add_email.sql", V11);
        source.Write("V2__index_email.sql", V2);
        source.Write("R__user_emails.sql", R);
        // What Evolve does (CommitEach): the schema row, each script and its row; V1.1 failed once (rolled back, row saved
        // with success = false) and succeeded on the next run; the view ran twice, the second time with today's content.
        await ws.ExecuteAsync($"""
            {EvolveChangelog}
            INSERT INTO changelog (type, version, description, name, checksum, installed_by, success) VALUES (2, '0', 'Empty schema found: public.', 'public', '', 'app', true);
            {V1}
            INSERT INTO changelog (type, version, description, name, checksum, installed_by, success) VALUES (0, '1', 'create users (4 ms)', 'V1__create_users.sql', '{EvolveImport.Checksum(V1)}', 'app', true);
            {Rold}
            INSERT INTO changelog (type, version, description, name, checksum, installed_by, installed_on, success) VALUES (4, NULL, 'user emails (2 ms)', 'R__user_emails.sql', '{EvolveImport.Checksum(Rold)}', 'app', now() - interval '1 day', true);
            INSERT INTO changelog (type, version, description, name, checksum, installed_by, success) VALUES (0, '1.1', 'add email (1 ms)', 'V1_1__add_email.sql', '{EvolveImport.Checksum(V11)}', 'app', false);
            {V11}
            INSERT INTO changelog (type, version, description, name, checksum, installed_by, success) VALUES (0, '1.1', 'add email (2 ms)', 'V1_1__add_email.sql', '{EvolveImport.Checksum(V11)}', 'app', true);
            {R}
            INSERT INTO changelog (type, version, description, name, checksum, installed_by, success) VALUES (4, NULL, 'user emails (2 ms)', 'R__user_emails.sql', '{EvolveImport.Checksum(R)}', 'app', true);
            """);

        var imported = await ws.RunCliAsync("import", "evolve", source.Path);
        var baseline = await ws.RunCliAsync("baseline", "--from", "evolve");
        var apply = await ws.RunCliAsync("apply");
        var status = await ws.RunCliAsync("status", "--format", "json");

        Assert.Equal(0, imported.Code);
        Assert.Contains("converted V1_1__add_email.sql → 11_add_email.sql", imported.Out);
        Assert.Equal(0, baseline.Code);
        Assert.Contains("marked applied: 10_create_users.sql", baseline.Out);
        Assert.Contains("marked applied: 11_add_email.sql", baseline.Out);
        Assert.Contains("marked applied: R_user_emails.sql", baseline.Out); // Evolve last ran this very content
        Assert.DoesNotContain("20_index_email.sql", baseline.Out);
        Assert.Equal(0, apply.Code);
        Assert.Contains("20_index_email.sql", apply.Out);
        Assert.DoesNotContain("R_user_emails.sql", apply.Out);
        AssertAllApplied(status.Out, 4);
        await AssertSameSchemaAsBuiltByStepwiseAsync(ws, "DROP TABLE changelog");
    }

    [Fact]
    public async Task Evolve_baseline_refuses_a_version_that_only_failed_and_counts_versions_below_StartVersion()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        using var source = new SourceDir();
        source.Write("V1__a.sql", "CREATE TABLE a (id int);\n");
        source.Write("V2__b.sql", "CREATE TABLE b (id int);\n");
        source.Write("V3__c.sql", "CREATE TABLE c (id int);\n");
        // The database existed before Evolve: StartVersion = 2 skips V1; V2 ran; V3 failed and never succeeded.
        await ws.ExecuteAsync($"""
            {EvolveChangelog}
            CREATE TABLE a (id int);
            INSERT INTO changelog (type, version, description, name, checksum, installed_by, success) VALUES (3, '2', 'Skip migrations until version 2 excluded.', 'StartVersion = 2', '', 'app', true);
            CREATE TABLE b (id int);
            INSERT INTO changelog (type, version, description, name, checksum, installed_by, success) VALUES (0, '2', 'b', 'V2__b.sql', 'x', 'app', true);
            INSERT INTO changelog (type, version, description, name, checksum, installed_by, success) VALUES (0, '3', 'c', 'V3__c.sql', 'x', 'app', false);
            """);

        var imported = await ws.RunCliAsync("import", "evolve", source.Path);
        var refused = await ws.RunCliAsync("baseline", "--from", "evolve");
        var nothing = await ws.ScalarAsync<bool>("SELECT to_regclass('stepwise.migrations') IS NULL OR NOT EXISTS (SELECT FROM stepwise.migrations)");
        await ws.ExecuteAsync("DELETE FROM changelog WHERE version = '3' AND NOT success");
        var baseline = await ws.RunCliAsync("baseline", "--from", "evolve");
        var apply = await ws.RunCliAsync("apply");

        Assert.Equal(0, imported.Code);
        Assert.Equal(2, refused.Code);
        Assert.Contains("changelog lists version 3 only as failed", refused.Error);
        Assert.True(nothing);
        Assert.Equal(0, baseline.Code);
        Assert.Contains("marked applied: 1_a.sql", baseline.Out); // below StartVersion: Evolve never runs it
        Assert.Contains("marked applied: 2_b.sql", baseline.Out);
        Assert.Equal(0, apply.Code);
        Assert.Contains("3_c.sql", apply.Out);
    }

    /// <summary>DbUp's journal as dbup-postgresql creates it (PostgresqlTableJournal).</summary>
    private const string DbUpJournal = """
        CREATE TABLE schemaversions (schemaversionsid serial NOT NULL, scriptname character varying(255) NOT NULL,
            applied timestamp without time zone NOT NULL, CONSTRAINT "PK_schemaversions_Id" PRIMARY KEY (schemaversionsid));
        """;

    [Fact]
    public async Task DbUp_directory_baselined_from_schemaversions_by_file_and_embedded_resource_names()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        using var source = new SourceDir();
        const string S1 = "CREATE TABLE users (id bigint PRIMARY KEY);\n";
        const string S2 = "ALTER TABLE users ADD COLUMN email text;\nUPDATE users SET email = '';\n";
        source.Write("0001 - Create users.sql", S1);
        source.Write("0002 - Add email.sql", S2);
        source.Write("0003 - Index email.sql", "CREATE INDEX CONCURRENTLY users_email ON users (email);\n");
        // The first script ran from the file system, the second after the project moved to embedded scripts.
        await ws.ExecuteAsync($"""
            {DbUpJournal}
            {S1}
            INSERT INTO schemaversions (scriptname, applied) VALUES ('0001 - Create users.sql', now());
            {S2}
            INSERT INTO schemaversions (scriptname, applied) VALUES ('MyApp.Database.Scripts.0002 - Add email.sql', now());
            """);

        var imported = await ws.RunCliAsync("import", "dbup", source.Path);
        var baseline = await ws.RunCliAsync("baseline", "--from", "dbup");
        var apply = await ws.RunCliAsync("apply");
        var status = await ws.RunCliAsync("status", "--format", "json");

        Assert.Equal(0, imported.Code);
        Assert.Contains("converted 0003 - Index email.sql → 3_0003_-_Index_email.sql", imported.Out);
        Assert.Contains("each imported migration runs in one transaction", imported.Error);
        Assert.Equal(0, baseline.Code);
        Assert.Contains("marked applied: 1_0001_-_Create_users.sql", baseline.Out);
        Assert.Contains("marked applied: 2_0002_-_Add_email.sql", baseline.Out);
        Assert.Equal(0, apply.Code);
        Assert.Contains("3_0003_-_Index_email.sql", apply.Out);
        AssertAllApplied(status.Out, 3);
        Assert.Equal(2L, await ws.ScalarAsync<long>("SELECT count(*) FROM schemaversions")); // only read
        await AssertSameSchemaAsBuiltByStepwiseAsync(ws, "DROP TABLE schemaversions");
    }

    [Fact]
    public async Task DbUp_baseline_refuses_a_script_the_journal_names_twice_and_one_never_imported()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        using var source = new SourceDir();
        source.Write("0001.sql", "CREATE TABLE a (id int);\n");
        await ws.ExecuteAsync($"""
            {DbUpJournal}
            CREATE TABLE a (id int);
            INSERT INTO schemaversions (scriptname, applied) VALUES ('0001.sql', now()), ('Tenant.Scripts.0001.sql', now()), ('Seed.0001 - Lookups.sql', now());
            """);

        var imported = await ws.RunCliAsync("import", "dbup", source.Path);
        var refused = await ws.RunCliAsync("baseline", "--from", "dbup");
        var rows = await ws.ScalarAsync<bool>("SELECT to_regclass('stepwise.migrations') IS NULL OR NOT EXISTS (SELECT FROM stepwise.migrations)");

        Assert.Equal(0, imported.Code);
        Assert.Equal(2, refused.Code);
        Assert.Contains("schemaversions lists 0001.sql and Tenant.Scripts.0001.sql, which all name 1_0001.sql", refused.Error);
        Assert.Contains("schemaversions lists Seed.0001 - Lookups.sql as applied, but no migration in the directory was imported from it", refused.Error);
        Assert.True(rows);
    }

    [Fact]
    public async Task FluentMigrator_versions_in_VersionInfo_mark_the_Stepwise_migrations_of_the_same_number()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        // The SQL equivalents of the C# migrations, written by hand and numbered as their [Migration(...)] attributes.
        Directory.CreateDirectory(ws.Directory);
        File.WriteAllText(Path.Combine(ws.Directory, "20240101120000_create_users.sql"), "-- stepwise:up\nCREATE TABLE users (id bigint PRIMARY KEY);\n");
        File.WriteAllText(Path.Combine(ws.Directory, "20240102120000_add_email.sql"), "-- stepwise:up\nALTER TABLE users ADD COLUMN email text;\n");
        File.WriteAllText(Path.Combine(ws.Directory, "20240103120000_index_email.sql"), "-- stepwise:up\nCREATE INDEX users_email ON users (email);\n");
        // FluentMigrator's table as it creates it on PostgreSQL; 20231201000000 seeded data and has no SQL equivalent.
        await ws.ExecuteAsync("""
            CREATE TABLE "public"."VersionInfo" ("Version" bigint NOT NULL, "AppliedOn" timestamp, "Description" varchar(1024));
            CREATE UNIQUE INDEX "UC_Version" ON "public"."VersionInfo" ("Version" ASC);
            CREATE TABLE users (id bigint PRIMARY KEY);
            ALTER TABLE users ADD COLUMN email text;
            INSERT INTO "VersionInfo" VALUES (20231201000000, now(), 'SeedCountries'), (20240101120000, now(), 'CreateUsers'), (20240102120000, now(), 'AddEmail');
            """);

        var hashed = await ws.RunCliAsync("hash");
        var import = await ws.RunCliAsync("import", "fluentmigrator", ws.Directory);
        var refused = await ws.RunCliAsync("baseline", "--from", "fluentmigrator");
        var baseline = await ws.RunCliAsync("baseline", "--from", "fluentmigrator", "--skip-code");
        var apply = await ws.RunCliAsync("apply");

        Assert.Equal(0, hashed.Code);
        Assert.Equal(2, import.Code);
        Assert.Contains("FluentMigrator migrations are C# classes", import.Error);
        Assert.Equal(2, refused.Code);
        Assert.Contains("\"VersionInfo\" lists 20231201000000 as applied, but no migration in the directory has version 20231201000000", refused.Error);
        Assert.Equal(0, baseline.Code);
        Assert.Contains("marked applied: 20240101120000_create_users.sql", baseline.Out);
        Assert.Contains("marked applied: 20240102120000_add_email.sql", baseline.Out);
        Assert.Contains("20231201000000", baseline.Error); // named in the --skip-code warning
        Assert.Equal(0, apply.Code);
        Assert.Contains("20240103120000_index_email.sql", apply.Out);
    }

    /// <summary>Runs a script the way psql -f does: statement by statement on one session, its own BEGIN/COMMIT deciding transactions.</summary>
    private static async Task RunAsPsqlAsync(MigrationWorkspace ws, string script)
    {
        await using var connection = new Npgsql.NpgsqlConnection(ws.ConnectionString);
        await connection.OpenAsync();
        foreach (var statement in Stepwise.Sql.SqlParser.Split(script).Statements)
        {
            await using var command = new Npgsql.NpgsqlCommand(statement.Text, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    private static void AssertAllApplied(string statusJson, int count)
    {
        using var json = JsonDocument.Parse(statusJson);
        var states = json.RootElement.GetProperty("migrations").EnumerateArray().Select(m => m.GetProperty("state").GetString()).ToList();
        Assert.Equal(count, states.Count);
        Assert.All(states, s => Assert.Equal("applied", s));
    }

    /// <summary>The other tool's database (its history table dropped) has the schema Stepwise builds from the imported files.</summary>
    private async Task AssertSameSchemaAsBuiltByStepwiseAsync(MigrationWorkspace toolDatabase, string dropHistory)
    {
        await using var fresh = await MigrationWorkspace.CreateAsync(fixture);
        var applied = await fresh.Migrator(o => o.Directory = toolDatabase.Directory).ApplyAsync(new Stepwise.Execution.ApplyRequest());
        Assert.NotEmpty(applied.Runs);
        await toolDatabase.ExecuteAsync(dropHistory);

        var changes = SchemaDiff.Compare(await CatalogReader.ReadAsync(toolDatabase.ConnectionString), await CatalogReader.ReadAsync(fresh.ConnectionString));

        Assert.Empty(changes);
    }

    private sealed class SourceDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("stepwise-import-src-").FullName;

        public void Write(string name, string content) => File.WriteAllText(System.IO.Path.Combine(Path, name), content);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
