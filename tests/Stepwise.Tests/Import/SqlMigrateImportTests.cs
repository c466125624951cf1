using Stepwise.Import;
using Stepwise.Migrations;
using Stepwise.Tests.Migrations;

namespace Stepwise.Tests.Import;

public class SqlMigrateImportTests
{
    internal static string Fixture => Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures", "sql-migrate");

    [Fact]
    public void Annotations_become_Stepwise_sections_in_sql_migrates_order_and_the_directory_loads_cleanly()
    {
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.SqlMigrate, Fixture);
        ImportWriter.Write(result, target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.Empty(loaded.Problems);
        // Two files share 20240103080000: sql-migrate runs them by name, so the second becomes the next integer.
        Assert.Equal(["20240101120000_create_accounts.sql", "20240102093000_wallets.sql", "20240103080000_ledger-1.sql", "20240103080001_ledger-2.sql",
            "20240104110000_ledger-account-index.sql", "20240105120000_handle_index.sql"], result.Converted.Select(m => m.FileName));
        Assert.Equal(result.Converted.Select(m => m.Source), result.Converted.Select(m => m.SourceId)); // sql-migrate's id is the file name
        var shifted = Assert.Single(result.NotConverted, p => p.Code == "version-shifted");
        Assert.EndsWith("20240103080000-ledger-2.sql", shifted.File);
        Assert.Contains("became Stepwise version 20240103080001: sql-migrate runs it after 20240103080000-ledger-1.sql, which has the number 20240103080000 too", shifted.Message);
        var first = result.Converted[0].Content;
        Assert.StartsWith("-- imported from sql-migrate: 20240101120000_create_accounts.sql\n-- Accounts, and a function keeping updated_at current.\n-- stepwise:up\nCREATE TABLE accounts", first);
        Assert.Equal(new ImportedFrom(ImportSource.SqlMigrate, "20240101120000_create_accounts.sql", "20240101120000_create_accounts.sql", null), ImportOrigin.Read(first));
        Assert.DoesNotContain("+migrate", string.Concat(result.Converted.Select(m => m.Content)));
        Assert.Equal(3, loaded.Versioned[0].Up!.Statements.Count); // the function with its semicolons is one statement
        Assert.Equal(3, loaded.Versioned[0].Down!.Statements.Count);
        // "Up notransaction" is the up section's alone.
        Assert.True(loaded.Versioned[4].Up!.NoTransactionDirective);
        Assert.False(loaded.Versioned[4].Down!.NoTransactionDirective);
        Assert.False(loaded.Versioned[1].Up!.NoTransactionDirective);
        // The file's own COMMIT ... BEGIN around its concurrent index is removed, with a warning at the COMMIT.
        Assert.DoesNotContain("COMMIT", result.Converted[5].Content);
        var escape = Assert.Single(result.NotConverted, p => p.Code == "transaction-escape");
        Assert.EndsWith("20240105120000_handle_index.sql", escape.File);
        Assert.Equal((4, 1), (escape.Line, escape.Column));
    }

    [Fact]
    public void Files_without_a_number_run_after_numbered_ones_and_every_version_is_distinct_and_ordered()
    {
        using var source = new TempDirectory();
        source.Write("2_b.sql", "-- +migrate Up\nSELECT 2;\n");
        source.Write("10_c.sql", "-- +migrate Up\nSELECT 10;\n");
        source.Write("0_a.sql", "-- +migrate Up\nSELECT 0;\n");
        source.Write("1_a.sql", "-- +migrate Up\nSELECT 1;\n");
        source.Write("seed.sql", "-- +migrate Up\nSELECT 'seed';\n");
        source.Write("README.md", "notes\n");

        var result = Importer.Read(ImportSource.SqlMigrate, source.Path);

        // sql-migrate: 0, 1, 2, 10 by number (not name order, which puts 10 before 2), then seed.sql; 0 has no Stepwise
        // equivalent, so it becomes 1 and the ones it pushes follow.
        Assert.Equal(["0_a.sql", "1_a.sql", "2_b.sql", "10_c.sql", "seed.sql"], result.Converted.Select(m => m.Source));
        Assert.Equal(["1_a.sql", "2_a.sql", "3_b.sql", "10_c.sql", "11_seed.sql"], result.Converted.Select(m => m.FileName));
        Assert.Equal(4, result.NotConverted.Count(p => p.Code == "version-shifted"));
        Assert.Contains(result.NotConverted, p => p.Code == "version-shifted" && p.File.EndsWith("seed.sql", StringComparison.Ordinal) && p.Message.Contains("no leading number", StringComparison.Ordinal));
        Assert.Contains(result.NotConverted, p => p.Code == "not-a-migration" && p.File.EndsWith("README.md", StringComparison.Ordinal));
    }

    [Fact]
    public void Sections_repeat_and_come_in_any_order_as_sql_migrate_reads_them_and_sql_above_them_is_left_out()
    {
        using var source = new TempDirectory();
        source.Write("1_a.sql", "SELECT 'never run';\n-- +migrate Down\nDROP TABLE a;\n-- +migrate Up\nCREATE TABLE a (id int);\n-- +migrate Down notransaction\nDROP TABLE IF EXISTS b;\n-- +migrate Up\nCREATE TABLE b (id int);\n");
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.SqlMigrate, source.Path);
        ImportWriter.Write(result, target.Path);
        var migration = Assert.Single(MigrationDirectory.Load(target.Path).Versioned);

        Assert.Equal(["CREATE TABLE a (id int)", "CREATE TABLE b (id int)"], migration.Up!.Statements.Select(s => s.Text));
        Assert.Equal(["DROP TABLE a", "DROP TABLE IF EXISTS b"], migration.Down!.Statements.Select(s => s.Text));
        Assert.True(migration.Down.NoTransactionDirective);
        Assert.False(migration.Up.NoTransactionDirective);
        var left = Assert.Single(result.NotConverted, p => p.Code == "outside-sections");
        Assert.Equal((1, 1), (left.Line, left.Column));
        Assert.DoesNotContain("never run", result.Converted[0].Content);
    }

    [Theory]
    [InlineData("SELECT 1;\n", "no-up-marker", 1, 1, "no -- +migrate Up annotation")]
    [InlineData("-- +migrate Up\nSELECT 1;\n-- +migrate up\n", "sql-migrate-annotation", 3, 1, "unknown sql-migrate annotation '-- +migrate up' (sql-migrate skips it")]
    [InlineData("-- +migrate Up notransactions\nSELECT 1;\n", "sql-migrate-annotation", 1, 1, "unknown sql-migrate annotation '-- +migrate Up notransactions'")]
    [InlineData("-- +migrate \nSELECT 1;\n", "sql-migrate-annotation", 1, 1, "unknown sql-migrate annotation")]
    [InlineData("-- +goose Up\nSELECT 1;\n", "no-up-marker", 1, 1, "the file has goose's -- +goose Up, not sql-migrate's -- +migrate Up")]
    public void Files_that_cannot_be_converted_are_refused_with_their_place_and_nothing_is_read(string content, string code, int line, int column, string says)
    {
        using var source = new TempDirectory();
        source.Write("20240101120000_a.sql", content);

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.SqlMigrate, source.Path));

        var problem = Assert.Single(ex.Problems);
        Assert.Equal((code, line, column), (problem.Code, problem.Line, problem.Column));
        Assert.Contains(says, problem.Message);
        Assert.EndsWith("20240101120000_a.sql", problem.File);
    }

    [Fact]
    public void A_directory_without_sql_files_or_with_a_number_beyond_64_bits_is_refused()
    {
        using var empty = new TempDirectory();
        empty.Write("dbconfig.yml", "development:\n  dialect: postgres\n");
        using var huge = new TempDirectory();
        huge.Write("99999999999999999999_a.sql", "-- +migrate Up\nSELECT 1;\n");

        var none = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.SqlMigrate, empty.Path));
        var tooBig = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.SqlMigrate, huge.Path));

        Assert.Equal("no-migrations", Assert.Single(none.Problems).Code);
        Assert.Equal("bad-version", Assert.Single(tooBig.Problems).Code);
    }
}
