using Stepwise.Import;
using Stepwise.Migrations;
using Stepwise.Tests.Migrations;

namespace Stepwise.Tests.Import;

public class ImportWriterTests
{
    [Fact]
    public void Existing_files_are_not_replaced_unless_asked()
    {
        using var source = new TempDirectory();
        source.Write("1_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\n");
        using var target = new TempDirectory();
        target.Write("1_a.sql", "-- stepwise:up\nSELECT 'mine';\n");
        var result = Importer.Read(ImportSource.Dbmate, source.Path);

        var ex = Assert.Throws<ImportRefusedException>(() => ImportWriter.Write(result, target.Path));
        var before = File.ReadAllText(Path.Combine(target.Path, "1_a.sql"));
        ImportWriter.Write(result, target.Path, overwrite: true);

        Assert.Equal("file-exists", Assert.Single(ex.Problems).Code);
        Assert.Equal("-- stepwise:up\nSELECT 'mine';\n", before);
        Assert.Contains("CREATE TABLE a", File.ReadAllText(Path.Combine(target.Path, "1_a.sql")));
        Assert.Empty(MigrationDirectory.Load(target.Path).Problems);
    }

    [Fact]
    public void A_converted_file_that_does_not_load_writes_nothing()
    {
        using var source = new TempDirectory();
        source.Write("1_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\n");
        source.Write("2_b.sql", "-- migrate:up\nCREAT TABLE b (id int);\n");
        using var parent = new TempDirectory();
        var target = Path.Combine(parent.Path, "migrations");

        var ex = Assert.Throws<ImportRefusedException>(() => ImportWriter.Write(Importer.Read(ImportSource.Dbmate, source.Path), target));

        // Named where the user can open it: the source file, not the converted one that was never written.
        var problem = ex.Problems[0];
        Assert.Equal(("syntax-error", 2, 1), (problem.Code, problem.Line, problem.Column));
        Assert.Equal(Path.Combine(source.Path, "2_b.sql"), problem.File);
        Assert.False(Directory.Exists(target));
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent.Path));
    }

    [Fact]
    public void A_template_placeholder_is_named_in_its_source_file_with_what_to_do()
    {
        // golang-migrate's layout, as a project whose own runner renders Go templates (pop/fizz) writes it.
        using var source = new TempDirectory();
        source.Write("00_init.up.sql", "-- the users\n\nCREATE TABLE IF NOT EXISTS {{ index .Options \"Namespace\" }}.users (id uuid);\n");
        using var parent = new TempDirectory();
        var target = Path.Combine(parent.Path, "migrations");

        var ex = Assert.Throws<ImportRefusedException>(() => ImportWriter.Write(Importer.Read(ImportSource.GolangMigrate, source.Path), target));

        var problem = Assert.Single(ex.Problems);
        Assert.Equal((Path.Combine(source.Path, "00_init.up.sql"), 3, 28), (problem.File, problem.Line, problem.Column));
        Assert.Contains("template placeholder", problem.Hint);
        Assert.Contains("import the rendered SQL", problem.Hint);
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public void A_line_found_twice_in_the_sources_keeps_the_converted_place_and_names_the_sources()
    {
        using var source = new TempDirectory();
        source.Write("1_a.up.sql", "CREAT TABLE a (id int);\n");
        source.Write("1_a.down.sql", "CREAT TABLE a (id int);\n");
        using var parent = new TempDirectory();
        var target = Path.Combine(parent.Path, "migrations");

        var ex = Assert.Throws<ImportRefusedException>(() => ImportWriter.Write(Importer.Read(ImportSource.GolangMigrate, source.Path), target));

        Assert.All(ex.Problems, p => Assert.Equal(Path.Combine(target, "1_a.sql"), p.File));
        Assert.All(ex.Problems, p => Assert.Contains("the file the import would write, made from 1_a.up.sql + 1_a.down.sql", p.Hint));
    }

    [Fact]
    public void New_files_join_an_existing_directory_and_the_sum_covers_all_of_them()
    {
        using var source = new TempDirectory();
        source.Write("20240101120000_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\n");
        using var target = new TempDirectory();
        target.Write("1_first.sql", "-- stepwise:up\nCREATE TABLE first (id int);\n");
        target.Write(SumFile.FileName, MigrationDirectory.Load(target.Path).ComputedSum.Render());

        var written = ImportWriter.Write(Importer.Read(ImportSource.Dbmate, source.Path), target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.Equal([Path.Combine(target.Path, "20240101120000_a.sql"), Path.Combine(target.Path, SumFile.FileName)], written);
        Assert.Empty(loaded.Problems);
        Assert.Equal(2, loaded.Versioned.Count);
    }

    [Fact]
    public void Importing_into_the_source_directory_is_refused()
    {
        using var source = new TempDirectory();
        source.Write("1_a.sql", "-- migrate:up\nSELECT 1;\n");

        var ex = Assert.Throws<ImportRefusedException>(() => ImportWriter.Write(Importer.Read(ImportSource.Dbmate, source.Path), source.Path));

        Assert.Equal("import-into-source", Assert.Single(ex.Problems).Code);
        Assert.Equal(["1_a.sql"], Directory.EnumerateFiles(source.Path).Select(Path.GetFileName));
    }
}
