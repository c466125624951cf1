using Stepwise.Diagnostics;
using System.Text;
using Stepwise.Import;
using Stepwise.Migrations;
using Stepwise.Tests.Migrations;

namespace Stepwise.Tests.Import;

public class AtlasImportTests
{
    private static TempDirectory AtlasDirectory(params (string Name, string Content)[] files)
    {
        var dir = new TempDirectory();
        foreach (var (name, content) in files)
        {
            dir.Write(name, content);
        }
        dir.Write(AtlasImport.SumFileName, AtlasImport.Render(files.Select(f => (f.Name, Encoding.UTF8.GetBytes(f.Content)))));
        return dir;
    }

    [Fact]
    public void Files_checked_against_atlas_sum_become_up_sections_and_txmode_none_becomes_no_transaction()
    {
        using var source = AtlasDirectory(
            ("20240101120000_init.sql", "-- Create \"users\" table\nCREATE TABLE \"users\" (\"id\" bigint NOT NULL, PRIMARY KEY (\"id\"));\n"),
            ("20240102120000_index.sql", "-- atlas:txmode none\n\nCREATE INDEX CONCURRENTLY \"users_id\" ON \"users\" (\"id\");\n"));
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.Atlas, source.Path);
        ImportWriter.Write(result, target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.Equal(["20240101120000_init.sql", "20240102120000_index.sql"], result.Converted.Select(m => m.FileName));
        Assert.StartsWith("-- imported from atlas: 20240101120000_init.sql (version 20240101120000)\n-- stepwise:up\n-- Create \"users\" table\n", result.Converted[0].Content);
        Assert.Contains("-- stepwise:up\n-- stepwise:no-transaction\n-- atlas:txmode none", result.Converted[1].Content);
        Assert.Empty(loaded.Problems);
    }

    [Fact]
    public void A_file_changed_after_atlas_sum_was_written_is_refused_by_name()
    {
        using var source = AtlasDirectory(("1_a.sql", "CREATE TABLE a (id int);\n"), ("2_b.sql", "CREATE TABLE b (id int);\n"));
        File.AppendAllText(Path.Combine(source.Path, "1_a.sql"), "DROP TABLE a;\n");

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Atlas, source.Path));

        var problem = Assert.Single(ex.Problems);
        Assert.Equal("atlas-sum-mismatch", problem.Code);
        Assert.Equal("1_a.sql was changed after atlas.sum was written", problem.Message);
        Assert.EndsWith("1_a.sql", problem.File);
    }

    [Fact]
    public void A_hand_edited_atlas_sum_is_refused_and_a_missing_one_is_reported_without_needing_Atlas()
    {
        using var source = AtlasDirectory(("1_a.sql", "SELECT 1;\n"));
        var sum = Path.Combine(source.Path, AtlasImport.SumFileName);
        File.WriteAllText(sum, File.ReadAllText(sum).Replace("1_a.sql", "1_b.sql", StringComparison.Ordinal));

        var edited = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Atlas, source.Path));
        File.Delete(sum);
        var missing = Importer.Read(ImportSource.Atlas, source.Path);

        Assert.Equal("atlas-sum-edited", Assert.Single(edited.Problems).Code);
        Assert.Contains("--ignore-atlas-sum", edited.Message);
        Assert.Equal("1_a.sql", Assert.Single(missing.Converted).Source);
        Assert.Contains(missing.NotConverted, p => p.Code == "atlas-no-sum" && p.Message.Contains("imported without that check", StringComparison.Ordinal));
    }

    [Fact]
    public void A_stale_atlas_sum_imports_with_ignore_atlas_sum_and_the_result_says_so()
    {
        using var source = AtlasDirectory(("1_a.sql", "CREATE TABLE a (id int);\n"), ("2_b.sql", "CREATE TABLE b (id int);\n"));
        File.AppendAllText(Path.Combine(source.Path, "2_b.sql"), "CREATE TABLE c (id int);\n");

        var result = Importer.Read(ImportSource.Atlas, source.Path, new ImportOptions { IgnoreAtlasSum = true });

        Assert.Equal(2, result.Converted.Count);
        var warning = Assert.Single(result.NotConverted, p => p.Code == "atlas-sum-mismatch");
        Assert.Equal(Severity.Warning, warning.Severity);
        Assert.Equal("2_b.sql was changed after atlas.sum was written; imported anyway (--ignore-atlas-sum)", warning.Message);
    }

    [Fact]
    public void Ent_file_names_with_a_dash_after_the_version_import_and_keep_Atlas_version_for_baseline()
    {
        using var source = AtlasDirectory(
            ("20230701000000_init.sql", "CREATE TABLE a (id int);\n"),
            ("20230710111950-cas-backend.sql", "CREATE TABLE b (id int);\n"),
            ("20230801000000.sql", "CREATE TABLE c (id int);\n"));
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.Atlas, source.Path);
        ImportWriter.Write(result, target.Path);

        Assert.Equal(["20230701000000_init.sql", "20230710111950_cas-backend.sql", "20230801000000_migration.sql"], result.Converted.Select(m => m.FileName));
        Assert.Equal(["20230701000000", "20230710111950-cas-backend", "20230801000000"], result.Converted.Select(m => m.SourceId));
        Assert.StartsWith("-- imported from atlas: 20230710111950-cas-backend.sql (version 20230710111950-cas-backend)\n", result.Converted[1].Content);
        Assert.Equal("20230710111950-cas-backend", ImportOrigin.Read(result.Converted[1].Content)!.Version);
        Assert.Empty(MigrationDirectory.Load(target.Path).Problems);
    }

    [Fact]
    public void Atlas_names_whose_numbers_disagree_with_name_order_are_refused()
    {
        using var source = AtlasDirectory(("1_a.sql", "SELECT 1;\n"), ("10_b.sql", "SELECT 1;\n"), ("2_c.sql", "SELECT 1;\n"));

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Atlas, source.Path));

        var problem = Assert.Single(ex.Problems);
        Assert.Equal("atlas-order", problem.Code);
        Assert.Contains("Atlas runs 10_b.sql before 1_a.sql (name order), but their numbers 10 and 1 say the opposite", problem.Message);
    }

    [Fact]
    public void Sum_hashes_chain_over_names_and_contents_in_name_order()
    {
        var one = AtlasImport.Compute([("1_a.sql", "x"u8.ToArray()), ("2_b.sql", "y"u8.ToArray())]);
        var reordered = AtlasImport.Compute([("2_b.sql", "y"u8.ToArray()), ("1_a.sql", "x"u8.ToArray())]);
        var edited = AtlasImport.Compute([("1_a.sql", "z"u8.ToArray()), ("2_b.sql", "y"u8.ToArray())]);
        var ignored = AtlasImport.Compute([("1_a.sql", "-- atlas:sum ignore\nx"u8.ToArray()), ("2_b.sql", "y"u8.ToArray())]);

        Assert.Equal(one, reordered);
        Assert.Equal(Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData("1_a.sqlx"u8)), one[0].Hash);
        Assert.Equal(Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData("1_a.sqlx2_b.sqly"u8)), one[1].Hash);
        Assert.NotEqual(one[1].Hash, edited[1].Hash); // an edit shows on every later line
        Assert.Equal(("2_b.sql", Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData("1_a.sql2_b.sqly"u8))), Assert.Single(ignored));
    }
}
