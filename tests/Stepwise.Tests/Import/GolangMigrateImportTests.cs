using Stepwise.Import;
using Stepwise.Migrations;
using Stepwise.Tests.Migrations;

namespace Stepwise.Tests.Import;

public class GolangMigrateImportTests
{
    internal static string Fixture => Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures", "golang-migrate");

    [Fact]
    public void Up_and_down_files_become_one_migration_and_a_BEGIN_COMMIT_wrapper_is_removed()
    {
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.GolangMigrate, Fixture);
        ImportWriter.Write(result, target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.Equal(["000001_create_accounts.sql", "000002_add_account_status.sql", "000003_index_created_at.sql"], result.Converted.Select(m => m.FileName));
        Assert.Equal("000002_add_account_status.up.sql + 000002_add_account_status.down.sql", result.Converted[1].Source);
        Assert.Empty(loaded.Problems);
        Assert.Equal(2, loaded.Versioned[1].Up!.Statements.Count);
        Assert.Equal(2, loaded.Versioned[1].Down!.Statements.Count);
        Assert.DoesNotContain("BEGIN", result.Converted[1].Content);
        Assert.DoesNotContain("COMMIT", result.Converted[1].Content);
        Assert.Equal(2, result.NotConverted.Count(p => p.Code == "transaction-wrapper"));
        Assert.StartsWith("-- imported from golang-migrate: 000001_create_accounts.up.sql (version 000001)\n", result.Converted[0].Content);
        Assert.Equal(ImportSource.GolangMigrate, ImportOrigin.Read(result.Converted[0].Content)!.From);
    }

    [Fact]
    public void Version_0_moves_every_version_up_by_one_and_headers_keep_golang_migrates()
    {
        using var source = new TempDirectory();
        source.Write("0000_system.up.sql", "CREATE TABLE system (id int);\n");
        source.Write("0001_initial.up.sql", "CREATE TABLE initial (id int);\n");

        var result = Importer.Read(ImportSource.GolangMigrate, source.Path);

        Assert.Equal(["0001_system.sql", "0002_initial.sql"], result.Converted.Select(m => m.FileName));
        Assert.Equal(["0000", "0001"], result.Converted.Select(m => m.SourceId));
        Assert.Contains(result.NotConverted, p => p.Code == "version-shifted");
    }

    [Fact]
    public void Version_0_alone_becomes_1_when_no_version_is_1_and_the_timestamps_keep_theirs()
    {
        // As a real project lays it out: an initial schema as 00, then timestamps.
        using var source = new TempDirectory();
        source.Write("00_init_auth_schema.up.sql", "CREATE TABLE users (id int);\n");
        source.Write("20210710035447_alter_users.up.sql", "ALTER TABLE users ADD COLUMN email text;\n");
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.GolangMigrate, source.Path);
        ImportWriter.Write(result, target.Path);

        Assert.Equal(["01_init_auth_schema.sql", "20210710035447_alter_users.sql"], result.Converted.Select(m => m.FileName));
        Assert.Equal(["00", "20210710035447"], result.Converted.Select(m => m.SourceId));
        var shifted = Assert.Single(result.NotConverted, p => p.Code == "version-shifted");
        Assert.Contains("it became 1, and as no version is 1 the others keep theirs", shifted.Message);
        Assert.Equal([1L, 20210710035447L], MigrationDirectory.Load(target.Path).Versioned.Select(m => m.Version));
    }

    [Fact]
    public void A_files_way_out_of_its_transaction_and_its_wrapper_are_both_removed_with_warnings()
    {
        using var source = new TempDirectory();
        source.Write("1_index.up.sql", "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nCREATE INDEX CONCURRENTLY a_id ON a (id);\nBEGIN;\nCREATE TABLE b (id int);\nCOMMIT;\n");
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.GolangMigrate, source.Path);
        ImportWriter.Write(result, target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        var content = result.Converted[0].Content;
        Assert.DoesNotContain("BEGIN", content);
        Assert.DoesNotContain("COMMIT", content);
        var escape = Assert.Single(result.NotConverted, p => p.Code == "transaction-escape");
        Assert.Equal((3, 1), (escape.Line, escape.Column));
        Assert.StartsWith("removed: the COMMIT at line 3 and the BEGIN at line 5 around 1 statement(s)", escape.Message);
        Assert.Single(result.NotConverted, p => p.Code == "transaction-wrapper");
        Assert.Empty(loaded.Problems);
        Assert.Equal(["CREATE TABLE", "CREATE INDEX", "CREATE TABLE"], loaded.Versioned[0].Up!.Statements.Select(s => s.Tree!.CommandTag));
        Assert.False(loaded.Versioned[0].Up!.RunsInTransaction);
    }

    [Fact]
    public void A_statement_on_golang_migrates_own_history_table_is_named_in_a_warning()
    {
        using var source = new TempDirectory();
        source.Write("0001_registry.up.sql", "CREATE TABLE registry (id int);\n");
        // As a real project's migration does: it keeps its own data version beside golang-migrate's.
        source.Write("0002_data_version.up.sql", "CREATE TABLE artifacts (id int);\nALTER TABLE schema_migrations ADD COLUMN data_version int;\n");

        var result = Importer.Read(ImportSource.GolangMigrate, source.Path);

        var warning = Assert.Single(result.NotConverted, p => p.Code == "history-table");
        Assert.EndsWith("0002_data_version.up.sql", warning.File);
        Assert.Equal("0002_data_version.sql uses golang-migrate's history table schema_migrations (ALTER TABLE schema_migrations ADD COLUMN data_version int), which Stepwise neither creates nor keeps: on a new database this statement fails",
            warning.Message);
    }

    [Fact]
    public void A_down_without_its_up_is_reported_and_two_up_files_for_one_version_are_refused()
    {
        using var source = new TempDirectory();
        source.Write("1_a.up.sql", "CREATE TABLE a (id int);\n");
        source.Write("2_b.down.sql", "DROP TABLE b;\n");
        source.Write("notes.txt", "x");
        var lonely = Importer.Read(ImportSource.GolangMigrate, source.Path);
        source.Write("1_other.up.sql", "SELECT 1;\n");

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.GolangMigrate, source.Path));

        Assert.Equal(["1_a.sql"], lonely.Converted.Select(m => m.FileName));
        Assert.Contains(lonely.NotConverted, p => p.Code == "down-without-up" && p.File.EndsWith("2_b.down.sql", StringComparison.Ordinal));
        Assert.Contains(lonely.NotConverted, p => p.Code == "not-a-migration" && p.File.EndsWith("notes.txt", StringComparison.Ordinal));
        Assert.Equal("duplicate-version", Assert.Single(ex.Problems).Code);
    }
}
