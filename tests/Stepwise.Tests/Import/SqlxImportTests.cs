using System.Security.Cryptography;
using Stepwise.Import;
using Stepwise.Migrations;
using Stepwise.Tests.Migrations;

namespace Stepwise.Tests.Import;

public class SqlxImportTests
{
    internal static string Fixture => Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures", "sqlx");

    [Fact]
    public void Simple_files_and_reversible_pairs_become_migrations_in_version_order_with_sqlxs_checksum_in_the_header()
    {
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.Sqlx, Fixture);
        ImportWriter.Write(result, target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.Equal(["20240101090000_create_users.sql", "20240102090000_add_email_and_sessions.sql", "20240103090000_index_email.sql"],
            result.Converted.Select(m => m.FileName));
        Assert.Equal("20240102090000_add_email_and_sessions.up.sql + 20240102090000_add_email_and_sessions.down.sql", result.Converted[1].Source);
        Assert.Empty(loaded.Problems);
        Assert.Null(loaded.Versioned[0].Down);
        Assert.Equal(2, loaded.Versioned[1].Down!.Statements.Count);
        var sha384 = Convert.ToHexStringLower(SHA384.HashData(File.ReadAllBytes(Path.Combine(Fixture, "20240101090000_create_users.sql"))));
        Assert.StartsWith($"-- imported from sqlx: 20240101090000_create_users.sql (version 20240101090000) (checksum {sha384})\n", result.Converted[0].Content);
        var origin = ImportOrigin.Read(result.Converted[0].Content)!;
        Assert.Equal((ImportSource.Sqlx, "20240101090000", sha384), (origin.From, origin.Version, origin.Checksum));
        // The README is named, and the simple migration has no down section.
        Assert.Contains(result.NotConverted, p => p.Code == "not-a-migration" && p.File.EndsWith("README.md", StringComparison.Ordinal));
        Assert.Contains(result.NotConverted, p => p.Code == "no-down" && p.Message.Contains("1 of sqlx's simple migrations", StringComparison.Ordinal));
    }

    [Fact]
    public void A_file_starting_with_no_transaction_runs_statement_by_statement_in_both_directions()
    {
        using var target = new TempDirectory();

        ImportWriter.Write(Importer.Read(ImportSource.Sqlx, Fixture), target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.False(loaded.Versioned[2].Up!.RunsInTransaction);
        Assert.False(loaded.Versioned[2].Down!.RunsInTransaction);
        Assert.True(loaded.Versioned[1].Up!.RunsInTransaction);
    }

    [Fact]
    public void No_transaction_after_a_byte_order_mark_is_not_seen_as_sqlx_does_not_see_it()
    {
        using var source = new TempDirectory();
        File.WriteAllBytes(Path.Combine(source.Path, "1_index.sql"), [0xEF, 0xBB, 0xBF, .. "-- no-transaction\nCREATE TABLE a (id int);\n"u8]);
        File.WriteAllText(Path.Combine(source.Path, "2_plain.sql"), "-- no-transaction\nCREATE TABLE b (id int);\n");
        using var target = new TempDirectory();

        ImportWriter.Write(Importer.Read(ImportSource.Sqlx, source.Path), target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.True(loaded.Versioned[0].Up!.RunsInTransaction);
        Assert.False(loaded.Versioned[1].Up!.RunsInTransaction);
    }

    [Theory]
    [InlineData("initial_schema.sql", "bad-version", "'initial' before the first _ is not a version")]
    [InlineData("0_zero.sql", "bad-version", "'0' before the first _ is not a version")]
    [InlineData("1_widgets.up.sql", "duplicate-version", "version 1 has two up files: 1_users.sql and 1_widgets.up.sql")]
    public void A_name_sqlx_refuses_or_a_version_used_twice_refuses_the_import_and_writes_nothing(string name, string code, string message)
    {
        using var source = new TempDirectory();
        source.Write("1_users.sql", "CREATE TABLE users (id int);\n");
        source.Write(name, "CREATE TABLE other (id int);\n");
        using var target = new TempDirectory();

        var refused = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Sqlx, source.Path));

        var problem = Assert.Single(refused.Problems);
        Assert.Equal(code, problem.Code);
        Assert.Contains(message, problem.Message);
        Assert.EndsWith(name, problem.File);
        Assert.Empty(Directory.EnumerateFileSystemEntries(target.Path));
    }

    [Fact]
    public void A_down_file_without_its_up_file_is_left_out_with_a_warning()
    {
        using var source = new TempDirectory();
        source.Write("1_users.sql", "CREATE TABLE users (id int);\n");
        source.Write("2_gone.down.sql", "DROP TABLE gone;\n");

        var result = Importer.Read(ImportSource.Sqlx, source.Path);

        Assert.Equal(["1_users.sql"], result.Converted.Select(m => m.FileName));
        Assert.Contains(result.NotConverted, p => p.Code == "down-without-up" && p.File.EndsWith("2_gone.down.sql", StringComparison.Ordinal));
    }
}
