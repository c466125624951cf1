using Stepwise.Import;
using Stepwise.Migrations;
using Stepwise.Tests.Migrations;

namespace Stepwise.Tests.Import;

public class EvolveImportTests
{
    private static string Fixture => Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures", "evolve");

    [Fact]
    public void Versioned_and_repeatable_scripts_become_Stepwise_files_in_Evolve_order()
    {
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.Evolve, Fixture);
        ImportWriter.Write(result, target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.Equal(["10_create_customers.sql", "11_add_email.sql", "20_index_email.sql", "R_customer_emails.sql"], result.Converted.Select(m => m.FileName));
        Assert.Equal(["1", "1.1", "2", null], result.Converted.Select(m => m.SourceId)); // as Evolve's changelog records them
        Assert.StartsWith("-- imported from evolve: V1_1__add_email.sql (version 1.1)\n-- stepwise:up\nALTER TABLE users", result.Converted[1].Content.Replace("customers", "users", StringComparison.Ordinal));
        Assert.Contains("-- stepwise:up\n-- stepwise:no-transaction\n-- evolve-tx-off\nCREATE INDEX CONCURRENTLY", result.Converted[2].Content);
        var view = File.ReadAllText(Path.Combine(Fixture, "R__customer_emails.sql"));
        Assert.StartsWith($"-- imported from evolve: R__customer_emails.sql (checksum {EvolveImport.Checksum(view)})\n", result.Converted[3].Content);
        Assert.Contains(result.NotConverted, p => p.File.EndsWith("README.md", StringComparison.Ordinal) && p.Code == "not-a-migration");
        Assert.Empty(loaded.Problems);
        Assert.Equal(new ImportedFrom(ImportSource.Evolve, "R__customer_emails.sql", null, EvolveImport.Checksum(view)), ImportOrigin.Read(result.Converted[3].Content));
    }

    [Fact]
    public void A_hidden_folder_under_the_location_is_not_read_as_a_project_roots_git_folder_would_be()
    {
        using var source = new TempDirectory();
        source.Write("V1__init.sql", "CREATE TABLE a (id int);\n");
        Directory.CreateDirectory(Path.Combine(source.Path, ".git", "objects"));
        source.Write(".git/objects/V2__packed.sql", "not sql\n");
        source.Write(".git/HEAD", "ref: refs/heads/main\n");

        var result = Importer.Read(ImportSource.Evolve, source.Path);

        Assert.Equal(["1_init.sql"], result.Converted.Select(m => m.FileName));
        Assert.DoesNotContain(result.NotConverted, p => p.File.Contains(".git", StringComparison.Ordinal));
    }

    [Fact]
    public void The_checksum_is_Evolves_MD5_of_the_text_with_LF_line_endings()
    {
        Assert.Equal("900150983CD24FB0D6963F7D28E17F72", EvolveImport.Checksum("abc")); // MD5("abc")
        Assert.Equal(EvolveImport.Checksum("a\nb\n"), EvolveImport.Checksum("a\r\nb\r\n"));
        Assert.NotEqual(EvolveImport.Checksum("a b"), EvolveImport.Checksum("ab"));
    }

    [Fact]
    public void Prefixes_and_suffix_match_in_any_case_as_Evolve_matches_them()
    {
        using var source = new TempDirectory();
        source.Write("v1__lower.sql", "SELECT 1;");
        source.Write("r__Lower_view.SQL", "SELECT 2;");

        var result = Importer.Read(ImportSource.Evolve, source.Path);

        Assert.Equal(["1_lower.sql", "R_Lower_view.sql"], result.Converted.Select(m => m.FileName));
    }

    [Fact]
    public void A_file_Evolve_takes_for_a_migration_without_a_separator_is_refused()
    {
        using var source = new TempDirectory();
        source.Write("V1__ok.sql", "SELECT 1;");
        source.Write("Views.sql", "SELECT 2;");

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Evolve, source.Path));

        var problem = Assert.Single(ex.Problems);
        Assert.Equal("bad-name", problem.Code);
        Assert.Contains("no __ separator", problem.Message);
        Assert.NotNull(problem.Hint);
    }

    [Fact]
    public void Versions_differing_only_by_trailing_zero_parts_are_refused_as_they_would_get_one_number()
    {
        using var source = new TempDirectory();
        source.Write("V1__a.sql", "SELECT 1;");
        source.Write("V1_0__b.sql", "SELECT 2;");

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Evolve, source.Path));

        Assert.Contains(ex.Problems, p => p.Code == "bad-version" && p.Message.Contains("Evolve runs versions 1 and 1_0 one after the other"));
    }

    [Fact]
    public void Versions_Evolve_reads_as_one_are_refused()
    {
        using var source = new TempDirectory();
        source.Write("V1_1__a.sql", "SELECT 1;");
        source.Write("V1.01__b.sql", "SELECT 2;");

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Evolve, source.Path));

        Assert.Contains(ex.Problems, p => p.Code == "duplicate-version" && p.Message.Contains("Evolve refuses this too"));
    }

    [Fact]
    public void Placeholders_and_repeat_always_are_reported()
    {
        using var source = new TempDirectory();
        source.Write("V1__grant.sql", "CREATE TABLE t (id int);\nGRANT SELECT ON t TO ${reader};\n");
        source.Write("R__refresh.sql", "-- evolve-repeat-always\nREFRESH MATERIALIZED VIEW mv;\n");

        var result = Importer.Read(ImportSource.Evolve, source.Path);

        var placeholder = Assert.Single(result.NotConverted, p => p.Code == "placeholder");
        Assert.Equal((2, 22), (placeholder.Line, placeholder.Column));
        Assert.Contains("Evolve placeholder", placeholder.Message);
        Assert.Contains(result.NotConverted, p => p.Code == "repeat-always" && p.File.EndsWith("R__refresh.sql", StringComparison.Ordinal));
    }
}
