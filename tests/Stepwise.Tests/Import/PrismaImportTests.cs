using Stepwise.Import;
using Stepwise.Migrations;
using Stepwise.Tests.Migrations;

namespace Stepwise.Tests.Import;

public class PrismaImportTests
{
    internal static string Fixture => Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures", "prisma");

    [Fact]
    public void Migration_folders_become_files_named_after_the_folder_with_the_folder_as_id()
    {
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.Prisma, Fixture);
        ImportWriter.Write(result, target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.Equal(["20240101120000_init.sql", "20240102093000_add_posts.sql", "20240103150000_post_title_index.sql"], result.Converted.Select(m => m.FileName));
        Assert.Equal(["20240101120000_init", "20240102093000_add_posts", "20240103150000_post_title_index"], result.Converted.Select(m => m.SourceId));
        Assert.StartsWith("-- imported from prisma: 20240101120000_init/migration.sql (version 20240101120000_init)\n-- stepwise:up\n-- CreateTable\n", result.Converted[0].Content);
        Assert.Empty(loaded.Problems);
        Assert.Equal(2, loaded.Versioned[0].Up!.Statements.Count);
        var noDown = Assert.Single(result.NotConverted);
        Assert.Equal("no down sections: Prisma migrations go only forward (3 migration(s))", noDown.Message);
    }

    [Fact]
    public void A_folder_with_code_and_no_migration_sql_refuses_the_import_unless_code_migrations_are_skipped()
    {
        // As formbricks keeps its data migrations: <timestamp>_<name>/migration.ts, run by its own runner, between Prisma's.
        using var source = new TempDirectory();
        foreach (var folder in new[] { "20240101120000_init", "20240102120000_backfill_b", "20240103120000_b_not_null", "20240104120000_empty" })
        {
            Directory.CreateDirectory(Path.Combine(source.Path, folder));
        }
        source.Write("20240101120000_init/migration.sql", "CREATE TABLE a (id int, b text);\n");
        source.Write("20240102120000_backfill_b/migration.ts", "export const backfill = async (tx) => { await tx.$executeRaw`UPDATE a SET b = 'x'`; };\n");
        source.Write("20240102120000_backfill_b/utils.ts", "export {};\n");
        source.Write("20240103120000_b_not_null/migration.sql", "ALTER TABLE a ALTER COLUMN b SET NOT NULL;\n");

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Prisma, source.Path));
        var skipped = Importer.Read(ImportSource.Prisma, source.Path, new ImportOptions { SkipCodeMigrations = true });

        var problem = Assert.Single(ex.Problems);
        Assert.Equal("code-migration", problem.Code);
        Assert.EndsWith("20240102120000_backfill_b", problem.File);
        Assert.Contains("holds migration.ts, utils.ts but no migration.sql", problem.Message);
        Assert.Contains("--skip-code", problem.Hint);
        Assert.Contains("1 migration(s) run the project's own code", ex.Message);
        Assert.Equal(["20240101120000_init.sql", "20240103120000_b_not_null.sql"], skipped.Converted.Select(m => m.FileName));
        Assert.Contains(skipped.NotConverted, p => p.Code == "code-migration-skipped" && p.File.EndsWith("20240102120000_backfill_b", StringComparison.Ordinal));
        Assert.Contains(skipped.NotConverted, p => p.Code == "not-a-migration" && p.File.EndsWith("20240104120000_empty", StringComparison.Ordinal));
    }

    [Fact]
    public void A_lock_file_for_another_provider_is_refused()
    {
        using var source = new TempDirectory();
        source.Write("migration_lock.toml", "provider = \"mysql\"\n");
        Directory.CreateDirectory(Path.Combine(source.Path, "20240101120000_init"));
        source.Write("20240101120000_init/migration.sql", "CREATE TABLE a (id int);\n");

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Prisma, source.Path));

        Assert.Equal("prisma-provider", Assert.Single(ex.Problems).Code);
    }
}
