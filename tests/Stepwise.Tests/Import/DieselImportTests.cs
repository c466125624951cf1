using Stepwise.Import;
using Stepwise.Migrations;
using Stepwise.Tests.Migrations;

namespace Stepwise.Tests.Import;

public class DieselImportTests
{
    internal static string Fixture => Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures", "diesel");

    [Fact]
    public void Each_folder_becomes_a_migration_versioned_by_its_name_without_dashes_and_the_initial_setup_becomes_1()
    {
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.Diesel, Fixture);
        ImportWriter.Write(result, target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.Equal(["00000000000001_diesel_initial_setup.sql", "20240101090000_create_posts.sql", "20240102090000_index_posts.sql"], result.Converted.Select(m => m.FileName));
        Assert.Equal(["00000000000000", "20240101090000", "20240102090000"], result.Converted.Select(m => m.SourceId));
        Assert.Equal("2024-01-01-090000_create_posts/up.sql + 2024-01-01-090000_create_posts/down.sql", result.Converted[1].Source);
        Assert.StartsWith("-- imported from diesel: 2024-01-01-090000_create_posts/up.sql (version 20240101090000)\n", result.Converted[1].Content);
        Assert.Equal(ImportSource.Diesel, ImportOrigin.Read(result.Converted[1].Content)!.From);
        Assert.Empty(loaded.Problems);
        Assert.Contains(result.NotConverted, p => p.Code == "version-shifted");
    }

    [Fact]
    public void An_up_file_ending_without_a_semicolon_does_not_run_on_into_the_down_section()
    {
        using var target = new TempDirectory();

        ImportWriter.Write(Importer.Read(ImportSource.Diesel, Fixture), target.Path);
        var posts = MigrationDirectory.Load(target.Path).Versioned[1];

        Assert.Equal(["CREATE TABLE", "DO"], posts.Up!.Statements.Select(s => s.CommandTag));
        Assert.Equal(["DROP TABLE"], posts.Down!.Statements.Select(s => s.CommandTag));
    }

    [Fact]
    public void Run_in_transaction_false_in_metadata_toml_runs_both_sections_statement_by_statement()
    {
        using var target = new TempDirectory();

        ImportWriter.Write(Importer.Read(ImportSource.Diesel, Fixture), target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.False(loaded.Versioned[2].Up!.RunsInTransaction);
        Assert.False(loaded.Versioned[2].Down!.RunsInTransaction);
        Assert.True(loaded.Versioned[1].Up!.RunsInTransaction);
    }

    [Theory]
    [InlineData("2024-02-01-000000_notes", "", "no-up-file", "the folder has no up.sql")]
    [InlineData("create_notes", "up.sql", "bad-version", "'create_notes' does not start with a version")]
    [InlineData("2024-01-01-090000_again", "up.sql", "duplicate-version", "version 20240101090000 is used by both")]
    [InlineData("2024-02-01-000000_notes", "metadata.toml", "bad-metadata", "run_in_transaction = maybe is not true or false")]
    public void A_folder_diesel_refuses_or_a_version_used_twice_refuses_the_import(string folder, string file, string code, string message)
    {
        using var source = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(source.Path, "2024-01-01-090000_create_posts"));
        source.Write("2024-01-01-090000_create_posts/up.sql", "CREATE TABLE posts (id int);\n");
        Directory.CreateDirectory(Path.Combine(source.Path, folder));
        source.Write($"{folder}/{(file == "" ? "down.sql" : file)}", file == "metadata.toml" ? "run_in_transaction = maybe\n" : "CREATE TABLE notes (id int);\n");
        if (file == "metadata.toml")
        {
            source.Write($"{folder}/up.sql", "CREATE TABLE notes (id int);\n");
        }

        var refused = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Diesel, source.Path));

        var problem = Assert.Single(refused.Problems);
        Assert.Equal(code, problem.Code);
        Assert.Contains(message, problem.Message);
    }

    [Fact]
    public void Versions_of_different_lengths_that_diesel_orders_as_text_otherwise_than_by_number_are_refused()
    {
        // Diesel compares versions as text: 2026... (14 digits) after 2025...-0000 (18), which as numbers come the other way.
        using var source = new TempDirectory();
        foreach (var folder in new[] { "2025-11-05-181519-0000_long", "2026-01-01-000000_short" })
        {
            Directory.CreateDirectory(Path.Combine(source.Path, folder));
            source.Write($"{folder}/up.sql", "SELECT 1;\n");
        }

        var refused = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Diesel, source.Path));

        var problem = Assert.Single(refused.Problems);
        Assert.Equal("diesel-order", problem.Code);
        Assert.Contains("Diesel runs 2025-11-05-181519-0000_long/up.sql before 2026-01-01-000000_short/up.sql (name order)", problem.Message);
    }
}
