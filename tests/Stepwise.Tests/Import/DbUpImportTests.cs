using Stepwise.Import;
using Stepwise.Migrations;
using Stepwise.Tests.Migrations;

namespace Stepwise.Tests.Import;

public class DbUpImportTests
{
    private static string Fixture => Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures", "dbup");

    [Fact]
    public void Scripts_become_versions_1_to_N_in_name_order_each_header_keeping_the_script_name()
    {
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.DbUp, Fixture);
        ImportWriter.Write(result, target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.Equal(["1_Script0001_-_Create_orders.sql", "2_Script0002_-_Add_total.sql", "3_Script0003_-_Index_placed_at.sql", "4_Script0010_-_Reporting.sql"],
            result.Converted.Select(m => m.FileName));
        Assert.Equal("Script0002 - Add total.sql", result.Converted[1].SourceId);
        Assert.Equal(new ImportedFrom(ImportSource.DbUp, "Script0002 - Add total.sql", "Script0002 - Add total.sql", null), ImportOrigin.Read(result.Converted[1].Content));
        Assert.DoesNotContain("BEGIN", result.Converted[1].Content); // its own transaction: Stepwise's now
        Assert.Contains(result.NotConverted, p => p.Code == "transaction-wrapper");
        Assert.DoesNotContain(result.Converted, m => m.Content.Contains("stepwise:no-transaction", StringComparison.Ordinal));
        Assert.Contains(result.NotConverted, p => p.Code == "transaction-mode" && p.Hint!.Contains("--no-transaction"));
        Assert.Empty(loaded.Problems);
    }

    [Fact]
    public void Variables_are_reported_with_their_position()
    {
        using var source = new TempDirectory();
        source.Write("0001.sql", "CREATE TABLE t (id int);\nGRANT SELECT ON t TO $reader$;\nCREATE TABLE $schema$.u (id int);\nGRANT SELECT ON u TO $reader$;\n");

        var result = Importer.Read(ImportSource.DbUp, source.Path);

        var variables = result.NotConverted.Where(p => p.Code == "placeholder").ToList();
        Assert.Equal([(2, 22), (3, 14), (4, 22)], variables.Select(v => (v.Line, v.Column)));
        Assert.Contains("$reader$ is a DbUp variable", variables[0].Message);
        Assert.Contains("removes $schema$. when none is given", variables[1].Message);
    }

    [Fact]
    public void No_transaction_keeps_DbUps_default_except_for_a_script_that_wrapped_itself_in_one()
    {
        var result = Importer.Read(ImportSource.DbUp, Fixture, new ImportOptions { NoTransaction = true });

        Assert.Equal([true, false, true, true], result.Converted.Select(m => m.Content.Contains("-- stepwise:up\n-- stepwise:no-transaction\n", StringComparison.Ordinal)));
    }

    [Fact]
    public void Order_is_ordinal_as_DbUps_default_comparer()
    {
        using var source = new TempDirectory();
        source.Write("a9.sql", "SELECT 9;");
        source.Write("a10.sql", "SELECT 10;");
        source.Write("B.sql", "SELECT 'B';");

        var result = Importer.Read(ImportSource.DbUp, source.Path);

        Assert.Equal(["1_B.sql", "2_a10.sql", "3_a9.sql"], result.Converted.Select(m => m.FileName));
    }

    [Fact]
    public void Subdirectories_are_refused_unless_included_and_then_named_with_dots()
    {
        using var source = new TempDirectory();
        source.Write("0001_init.sql", "CREATE TABLE t (id int);");
        Directory.CreateDirectory(Path.Combine(source.Path, "seed"));
        source.Write("seed/0001_rows.sql", "INSERT INTO t VALUES (1);");

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.DbUp, source.Path));
        var included = Importer.Read(ImportSource.DbUp, source.Path, new ImportOptions { IncludeSubdirectories = true });

        var problem = Assert.Single(ex.Problems);
        Assert.Equal("subdirectory", problem.Code);
        Assert.Contains("--include-subdirectories", problem.Hint);
        Assert.Equal(["0001_init.sql", "seed.0001_rows.sql"], included.Converted.Select(m => m.SourceId));
        Assert.StartsWith("-- imported from dbup: seed/0001_rows.sql (version seed.0001_rows.sql)\n", included.Converted[1].Content);
    }

    [Fact]
    public void Dollar_quote_tags_are_reported_once_and_variables_in_comments_and_strings_not_at_all()
    {
        using var source = new TempDirectory();
        source.Write("0001.sql", "-- $nope$\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $fn$ BEGIN RETURN 1; END $fn$;\nSELECT '$nope$', $1;\n/* $nope$ /* nested */ $nope$ */\n");

        var result = Importer.Read(ImportSource.DbUp, source.Path);

        Assert.DoesNotContain(result.NotConverted, p => p.Code == "placeholder");
        var quote = Assert.Single(result.NotConverted, p => p.Code == "dollar-quote");
        Assert.Equal((2, 53), (quote.Line, quote.Column));
        Assert.Contains("WithVariablesDisabled", quote.Message);
    }

    [Fact]
    public void A_directory_without_scripts_is_refused()
    {
        using var source = new TempDirectory();
        source.Write("notes.txt", "nothing here");
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.DbUp, source.Path);
        var ex = Assert.Throws<ImportRefusedException>(() => ImportWriter.Write(result, target.Path));

        Assert.Equal("nothing-to-import", Assert.Single(ex.Problems).Code);
    }

    [Fact]
    public void The_header_keeps_a_script_name_with_parentheses_and_still_reads_a_version_beside_a_checksum()
    {
        Assert.Equal(new ImportedFrom(ImportSource.DbUp, "0007 - Fix (hotfix).sql", "0007 - Fix (hotfix).sql", null),
            ImportOrigin.Read("-- imported from dbup: 0007 - Fix (hotfix).sql (version 0007 - Fix (hotfix).sql)\n-- stepwise:up\n"));
        Assert.Equal(new ImportedFrom(ImportSource.Sqlx, "1_a.sql", "1", "0abc"), ImportOrigin.Read("-- imported from sqlx: 1_a.sql (version 1) (checksum 0abc)\n"));
        Assert.Null(ImportOrigin.Read("-- imported from liquibase: x.sql (version 1)\n")); // not a tool Stepwise imports from
    }
}
