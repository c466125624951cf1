using Stepwise.Import;
using Stepwise.Migrations;
using Stepwise.Tests.Migrations;

namespace Stepwise.Tests.Import;

public class EfScriptImportTests
{
    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures", "ef", name);

    [Theory]
    [InlineData("plain.sql")]
    [InlineData("idempotent.sql")]
    public void Each_EF_migration_becomes_one_Stepwise_migration_without_EF_bookkeeping(string script)
    {
        var result = Importer.Read(ImportSource.Ef, Fixture(script));

        Assert.Equal(["20240101120000_Init.sql", "20240215093000_RenameMemberName.sql", "20240301170000_UniqueMemberEmail.sql"],
            result.Converted.Select(m => m.FileName));
        Assert.Equal(["20240101120000_Init", "20240215093000_RenameMemberName", "20240301170000_UniqueMemberEmail"], result.Converted.Select(m => m.SourceId));
        Assert.Equal([3, 1, 2], result.Converted.Select(m => m.Statements));
        foreach (var m in result.Converted)
        {
            Assert.DoesNotContain("__EFMigrationsHistory", m.Content);
            Assert.DoesNotContain("START TRANSACTION", m.Content);
            Assert.DoesNotContain("COMMIT", m.Content);
            Assert.DoesNotContain("$EF$", m.Content);
            Assert.StartsWith($"-- imported from ef: {script} (version {m.SourceId})\n-- stepwise:up\n", m.Content);
        }
        Assert.Contains("CONSTRAINT \"FK_Members_Organizations_OrganizationId\" FOREIGN KEY (\"OrganizationId\")", result.Converted[0].Content);
        Assert.Contains("\n);\n\nCREATE TABLE \"Members\" (\n    \"Id\" bigint", result.Converted[0].Content); // unwrapped and de-indented
        Assert.EndsWith("ALTER TABLE \"Members\" RENAME COLUMN \"Name\" TO \"DisplayName\";\n", result.Converted[1].Content);
        Assert.Contains("'people in an organization; it''s unique by email';", result.Converted[2].Content);
        Assert.Contains(result.NotConverted, p => p.Code == "ef-no-down");
    }

    [Fact]
    public void Plain_and_idempotent_scripts_give_the_same_migrations()
    {
        static IEnumerable<string> Bodies(string script) =>
            Importer.Read(ImportSource.Ef, Fixture(script)).Converted.Select(m => m.Content[m.Content.IndexOf('\n', StringComparison.Ordinal)..]);

        Assert.Equal(Bodies("plain.sql"), Bodies("idempotent.sql"));
    }

    [Fact]
    public void Imported_EF_migrations_load_cleanly_with_their_id_in_the_header()
    {
        using var dir = new TempDirectory();
        var target = Path.Combine(dir.Path, "migrations");

        ImportWriter.Write(Importer.Read(ImportSource.Ef, Fixture("idempotent.sql")), target);
        var loaded = MigrationDirectory.Load(target);

        Assert.Empty(loaded.Problems);
        Assert.Equal([20240101120000L, 20240215093000L, 20240301170000L], loaded.Versioned.Select(m => m.Version));
        Assert.Equal(3, loaded.Versioned[0].Up!.Statements.Count);
        Assert.Equal(new ImportedFrom(ImportSource.Ef, "idempotent.sql", "20240215093000_RenameMemberName", null), ImportOrigin.Read(File.ReadAllText(loaded.Versioned[1].Path)));
    }

    [Fact]
    public void A_syntax_error_is_refused_with_its_line_and_column()
    {
        using var dir = new TempDirectory();
        var script = dir.Write("ef.sql", """
            START TRANSACTION;
            CREATE TABLE a (id int);

            COMMENT ON TABLE a IS 'no semicolon'

            INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
            VALUES ('20240101120000_Init', '10.0.0');
            COMMIT;
            """);

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Ef, script));

        var problem = Assert.Single(ex.Problems);
        Assert.Equal("syntax-error", problem.Code);
        Assert.Equal(6, problem.Line);
        Assert.Contains("semicolon", problem.Hint);
    }

    [Theory]
    [InlineData("CREATE TABLE a (id int);\n", "ef-no-migrations")]
    [InlineData("DELETE FROM \"__EFMigrationsHistory\" WHERE \"MigrationId\" = '20240101120000_Init';\n", "ef-revert-script")]
    [InlineData("CREATE TABLE a (id int);\nINSERT INTO \"__EFMigrationsHistory\" VALUES ('20240101120000_Init', '10.0.0');\nCREATE TABLE b (id int);\n", "ef-unrecorded-statements")]
    [InlineData("INSERT INTO \"__EFMigrationsHistory\" VALUES ('Init', '10.0.0');\n", "ef-bad-migration-id")]
    public void Scripts_that_are_not_EF_migration_scripts_are_refused(string text, string code)
    {
        using var dir = new TempDirectory();

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Ef, dir.Write("ef.sql", text)));

        Assert.Contains(ex.Problems, p => p.Code == code && p.Line > 0);
    }

    [Fact]
    public void An_idempotent_revert_script_is_refused_as_a_revert_script()
    {
        using var dir = new TempDirectory();
        // What dotnet ef migrations script --idempotent writes going down: EF's IF EXISTS wrappers around the undoing and the history delete.
        var script = dir.Write("revert.sql", """
            START TRANSACTION;
            DO $EF$
            BEGIN
                IF EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20240301170000_UniqueMemberEmail') THEN
                DROP INDEX "IX_Members_Email";
                END IF;
            END $EF$;
            DO $EF$
            BEGIN
                IF EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20240301170000_UniqueMemberEmail') THEN
                DELETE FROM "__EFMigrationsHistory"
                WHERE "MigrationId" = '20240301170000_UniqueMemberEmail';
                END IF;
            END $EF$;
            COMMIT;
            """);

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Ef, script));

        var problem = Assert.Single(ex.Problems);
        Assert.Equal("ef-revert-script", problem.Code);
        Assert.Equal(8, problem.Line);
    }

    [Fact]
    public void An_idempotent_script_of_EF_Core_3_with_plain_dollar_quotes_and_no_transactions_is_unwrapped()
    {
        using var dir = new TempDirectory();
        // EF Core 3.x wrote DO $$ ... END $$ blocks without START TRANSACTION/COMMIT, several statements in one IF.
        var script = dir.Write("ef3.sql", """
            CREATE TABLE IF NOT EXISTS "__EFMigrationsHistory" (
                "MigrationId" character varying(150) NOT NULL,
                "ProductVersion" character varying(32) NOT NULL,
                CONSTRAINT "PK___EFMigrationsHistory" PRIMARY KEY ("MigrationId")
            );


            DO $$
            BEGIN
                IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20210101090000_Boards') THEN
                CREATE TABLE "Boards" (
                    "BoardId" uuid NOT NULL,
                    "Title" text NULL,
                    CONSTRAINT "PK_Boards" PRIMARY KEY ("BoardId")
                );
                END IF;
            END $$;

            DO $$
            BEGIN
                IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20210101090000_Boards') THEN
                INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
                VALUES ('20210101090000_Boards', '3.1.9');
                END IF;
            END $$;

            DO $$
            BEGIN
                IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20210205100000_BoardCreated') THEN
                ALTER TABLE "Boards" ALTER COLUMN "Title" TYPE text;
                ALTER TABLE "Boards" ALTER COLUMN "Title" SET NOT NULL;
                ALTER TABLE "Boards" ALTER COLUMN "Title" SET DEFAULT '';
                END IF;
            END $$;

            DO $$
            BEGIN
                IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = '20210205100000_BoardCreated') THEN
                INSERT INTO "__EFMigrationsHistory" ("MigrationId", "ProductVersion")
                VALUES ('20210205100000_BoardCreated', '3.1.9');
                END IF;
            END $$;
            """);

        var result = Importer.Read(ImportSource.Ef, script);

        Assert.Equal(["20210101090000_Boards.sql", "20210205100000_BoardCreated.sql"], result.Converted.Select(m => m.FileName));
        Assert.Equal([1, 3], result.Converted.Select(m => m.Statements));
        Assert.All(result.Converted, m => Assert.DoesNotContain("no-transaction", m.Content));
        Assert.EndsWith("""
            ALTER TABLE "Boards" ALTER COLUMN "Title" TYPE text;

            ALTER TABLE "Boards" ALTER COLUMN "Title" SET NOT NULL;

            ALTER TABLE "Boards" ALTER COLUMN "Title" SET DEFAULT '';

            """.Replace("\r", "", StringComparison.Ordinal), result.Converted[1].Content);
    }

    [Theory]
    [InlineData("suppress-transaction.sql")]
    [InlineData("suppress-transaction-idempotent.sql")]
    public void A_migration_EF_runs_partly_outside_a_transaction_is_imported_without_one(string script)
    {
        var result = Importer.Read(ImportSource.Ef, Fixture(script));

        Assert.Equal(4, result.Converted.Count);
        Assert.All(result.Converted.Take(3), m => Assert.DoesNotContain("no-transaction", m.Content));
        Assert.EndsWith("""
            -- stepwise:up
            -- stepwise:no-transaction
            CREATE INDEX CONCURRENTLY "IX_Members_DisplayName" ON "Members" ("DisplayName");

            SELECT 1;

            """.Replace("\r", "", StringComparison.Ordinal), result.Converted[3].Content);
        Assert.Contains(result.NotConverted, p => p.Code == "ef-suppress-transaction" && p.Message.Contains("20240401000000_Concurrent"));
    }
}
