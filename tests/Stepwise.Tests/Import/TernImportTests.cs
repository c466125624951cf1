using Stepwise.Import;
using Stepwise.Migrations;
using Stepwise.Tests.Migrations;

namespace Stepwise.Tests.Import;

public class TernImportTests
{
    internal static string Fixture => Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures", "tern");

    [Fact]
    public void Files_split_at_tern_separator_become_up_and_down_sections_and_the_directory_loads_cleanly()
    {
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.Tern, Fixture);
        ImportWriter.Write(result, target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.Empty(loaded.Problems);
        Assert.Equal(["001_create_projects.sql", "002_add_owner.sql", "003_projects_name_index.sql", "004_settings.sql"], result.Converted.Select(m => m.FileName));
        Assert.Equal(["1", "2", "3", "4"], result.Converted.Select(m => m.SourceId)); // what schema_version counts
        Assert.StartsWith("-- imported from tern: 001_create_projects.sql (version 1)\n-- stepwise:up\n-- Projects, and a function that names them.\ncreate table projects", result.Converted[0].Content);
        Assert.DoesNotContain("----", string.Concat(result.Converted.Select(m => m.Content)));
        Assert.Equal(2, loaded.Versioned[0].Up!.Statements.Count); // the function with its semicolons is one statement
        Assert.Equal(2, loaded.Versioned[0].Down!.Statements.Count);
        // disable-tx above the separator is the up section's alone, as tern reads it.
        Assert.True(loaded.Versioned[2].Up!.NoTransactionDirective);
        Assert.False(loaded.Versioned[2].Down!.NoTransactionDirective);
        Assert.Null(loaded.Versioned[3].Down);
        var noDown = Assert.Single(result.NotConverted);
        Assert.Equal("no-down", noDown.Code);
        Assert.EndsWith("004_settings.sql", noDown.File);
    }

    [Fact]
    public void A_go_template_action_is_refused_at_its_line_and_column_and_nothing_is_written()
    {
        using var source = new TempDirectory();
        source.Write("001_a.sql", "create table a (id int);\n---- create above / drop below ----\ndrop table a;\n");
        source.Write("002_views.sql", "create view v as select 1;\n  {{ template \"shared/grants.sql\" . }}\n---- create above / drop below ----\ndrop view v; -- {{.schema}}\n");
        Directory.CreateDirectory(Path.Combine(source.Path, "shared"));
        source.Write("shared/grants.sql", "grant select on v to reader;\n");
        using var target = new TempDirectory();

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Tern, source.Path));

        Assert.Equal([("template", 2, 3), ("template", 4, 17)], ex.Problems.Select(p => (p.Code, p.Line, p.Column)));
        Assert.All(ex.Problems, p => Assert.EndsWith("002_views.sql", p.File));
        Assert.StartsWith("{{ template \"shared/grants.sql\" . }}: {{ ... }} is a template placeholder, not SQL", ex.Problems[0].Message);
        Assert.Contains("tern renders each migration as a Go template", ex.Problems[0].Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(target.Path));
    }

    [Theory]
    [InlineData(new[] { "1_a.sql", "3_c.sql" }, "missing-version", "there is no migration 2 before 3_c.sql")]
    [InlineData(new[] { "1_a.sql", "01_b.sql" }, "duplicate-version", "migration 1 is both")]
    [InlineData(new[] { "0_a.sql" }, "bad-version", "0 is not one of them")]
    [InlineData(new[] { "3000000000_a.sql" }, "bad-version", "3000000000 is not one of them")]
    [InlineData(new[] { "tern.conf" }, "no-migrations", "no <n>_<name>.sql file")]
    public void Numbering_tern_refuses_is_refused(string[] files, string code, string says)
    {
        using var source = new TempDirectory();
        foreach (var file in files)
        {
            source.Write(file, "create table t (id int);\n");
        }

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Tern, source.Path));

        var problem = Assert.Single(ex.Problems);
        Assert.Equal(code, problem.Code);
        Assert.Contains(says, problem.Message);
    }

    [Fact]
    public void An_up_section_without_sql_is_refused_and_transaction_control_is_removed_with_its_line_in_the_file()
    {
        using var empty = new TempDirectory();
        empty.Write("1_a.sql", "-- nothing yet\n---- create above / drop below ----\ndrop table a;\n");
        using var wrapped = new TempDirectory();
        wrapped.Write("1_a.sql", "create table a (id int);\n\n---- create above / drop below ----\n\nbegin;\ndrop table a;\ncommit;\n");

        var refused = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Tern, empty.Path));
        var result = Importer.Read(ImportSource.Tern, wrapped.Path);

        Assert.Equal("empty-up-section", Assert.Single(refused.Problems).Code);
        var wrapper = Assert.Single(result.NotConverted, p => p.Code == "transaction-wrapper");
        Assert.Equal((5, 1), (wrapper.Line, wrapper.Column));
        Assert.DoesNotContain("begin", result.Converted[0].Content);
    }
}
