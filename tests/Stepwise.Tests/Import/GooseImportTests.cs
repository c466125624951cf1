using Stepwise.Import;
using Stepwise.Migrations;
using Stepwise.Tests.Migrations;

namespace Stepwise.Tests.Import;

public class GooseImportTests
{
    internal static string Fixture => Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures", "goose");

    [Fact]
    public void A_commit_and_begin_around_a_concurrent_index_are_removed_with_a_warning()
    {
        // As a file written for a tool that runs it in one transaction steps out of it (nakama's, once its -- +migrate is -- +goose).
        using var source = new TempDirectory();
        source.Write("20260319134532_add_display_name_index.sql",
            "-- +goose Up\nCREATE EXTENSION IF NOT EXISTS pg_trgm;\n\nCOMMIT;\n-- Concurrent index creation cannot be done inside a transaction.\n" +
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);\nBEGIN;\n\n-- +goose Down\nDROP INDEX IF EXISTS users_name_idx;\n");

        var result = Importer.Read(ImportSource.Goose, source.Path);

        var content = Assert.Single(result.Converted).Content;
        Assert.DoesNotContain("COMMIT", content);
        Assert.DoesNotContain("BEGIN", content);
        Assert.Contains("CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx", content);
        var escape = Assert.Single(result.NotConverted, p => p.Code == "transaction-escape");
        Assert.Equal((4, 1), (escape.Line, escape.Column));
        Assert.EndsWith("20260319134532_add_display_name_index.sql", escape.File);
    }

    [Fact]
    public void A_commit_and_begin_that_split_the_transaction_are_removed_with_a_warning_saying_so()
    {
        using var source = new TempDirectory();
        source.Write("1_acl.sql", "-- +goose Up\nALTER TABLE u ADD COLUMN acl jsonb;\n-- Needed because CockroachDB does not allow it in one transaction.\nCOMMIT;\nBEGIN;\nUPDATE u SET acl = '{}';\n");

        var result = Importer.Read(ImportSource.Goose, source.Path);

        Assert.DoesNotContain("COMMIT", Assert.Single(result.Converted).Content);
        var split = Assert.Single(result.NotConverted, p => p.Code == "transaction-escape");
        Assert.Equal(4, split.Line);
        Assert.StartsWith("removed: the COMMIT at line 4 and the BEGIN at line 5 that split the file's transaction in two", split.Message);
    }

    [Fact]
    public void Goose_annotations_become_Stepwise_sections_and_the_directory_loads_cleanly()
    {
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.Goose, Fixture);
        ImportWriter.Write(result, target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.Equal(["00001_create_users.sql", "00002_add_email.sql", "00003_index_email.sql", "00004_settings.sql"], result.Converted.Select(m => m.FileName));
        Assert.Equal(["00001", "00002", "00003", "00004"], result.Converted.Select(m => m.SourceId));
        Assert.Empty(loaded.Problems);
        var first = result.Converted[0].Content;
        Assert.StartsWith("-- imported from goose: 00001_create_users.sql (version 00001)\n-- Users and a function keeping updated_at current.\n-- stepwise:up\nCREATE TABLE users", first);
        Assert.DoesNotContain("+goose", string.Concat(result.Converted.Select(m => m.Content)));
        Assert.Equal(3, loaded.Versioned[0].Up!.Statements.Count); // the function with its semicolons is one statement
        Assert.Equal(3, loaded.Versioned[0].Down!.Statements.Count);
        Assert.True(loaded.Versioned[2].Up!.NoTransactionDirective); // NO TRANSACTION: both directions
        Assert.True(loaded.Versioned[2].Down!.NoTransactionDirective);
        Assert.False(loaded.Versioned[1].Up!.NoTransactionDirective);
        var placeholder = Assert.Single(result.NotConverted, p => p.Code == "placeholder");
        Assert.EndsWith("00004_settings.sql", placeholder.File);
        Assert.Equal(4, placeholder.Line);
    }

    [Fact]
    public void Go_migrations_refuse_the_import_by_name_unless_skipped()
    {
        using var source = CopyOfFixture();
        source.Write("00005_backfill_names.go", "package migrations\n");
        source.Write("main.go", "package main\n");
        using var target = new TempDirectory();

        var refused = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Goose, source.Path));
        var skipped = Importer.Read(ImportSource.Goose, source.Path, new ImportOptions { SkipCodeMigrations = true });

        var problem = Assert.Single(refused.Problems);
        Assert.Equal("go-migration", problem.Code);
        Assert.EndsWith("00005_backfill_names.go", problem.File);
        Assert.Contains("--skip-code", problem.Hint);
        Assert.Contains("1 Go migration(s)", refused.Message);
        Assert.Equal(4, skipped.Converted.Count);
        Assert.Contains(skipped.NotConverted, p => p.Code == "go-migration-skipped" && p.File.EndsWith("00005_backfill_names.go", StringComparison.Ordinal));
        Assert.DoesNotContain(skipped.NotConverted, p => p.File.EndsWith("main.go", StringComparison.Ordinal));
    }

    [Fact]
    public void A_statement_block_ended_by_StatementEnd_without_a_semicolon_stays_ended()
    {
        using var source = new TempDirectory();
        source.Write("20250519145912_v1.sql", "-- +goose Up\n-- +goose StatementBegin\nCREATE TYPE v AS ENUM ('a');\n\nALTER TABLE t\nADD COLUMN v v NOT NULL DEFAULT 'a'\n-- +goose StatementEnd\n\n"
            + "-- +goose Down\n-- +goose StatementBegin\nALTER TABLE t DROP COLUMN v;\nDROP TYPE v\n-- +goose StatementEnd\n");
        using var target = new TempDirectory();

        ImportWriter.Write(Importer.Read(ImportSource.Goose, source.Path), target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.Empty(loaded.Problems);
        Assert.Equal(2, loaded.Versioned[0].Up!.Statements.Count);
        Assert.Equal(2, loaded.Versioned[0].Down!.Statements.Count);
    }

    [Theory]
    [InlineData("SELECT 1;\n", "no-up-marker")]
    [InlineData("-- +goose Down\nSELECT 1;\n-- +goose Up\nSELECT 2;\n", "goose-annotation")]
    [InlineData("-- +goose Up\nSELECT 1;\n-- +goose Sideways\n", "goose-annotation")]
    [InlineData("SELECT 0;\n-- +goose Up\nSELECT 1;\n", "outside-sections")]
    public void Files_goose_refuses_are_refused_and_nothing_is_read(string content, string code)
    {
        using var source = new TempDirectory();
        source.Write("20240101120000_a.sql", content);

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Goose, source.Path));

        Assert.Equal(code, Assert.Single(ex.Problems).Code);
    }

    internal static TempDirectory CopyOfFixture()
    {
        var copy = new TempDirectory();
        foreach (var file in Directory.EnumerateFiles(Fixture))
        {
            File.Copy(file, Path.Combine(copy.Path, Path.GetFileName(file)));
        }
        return copy;
    }
}
