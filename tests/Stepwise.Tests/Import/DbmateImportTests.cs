using Stepwise.Import;
using Stepwise.Migrations;
using Stepwise.Tests.Migrations;

namespace Stepwise.Tests.Import;

public class DbmateImportTests
{
    [Fact]
    public void Markers_become_Stepwise_sections_and_transaction_false_becomes_no_transaction()
    {
        using var source = new TempDirectory();
        source.Write("20240101120000_create_users.sql", "-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, note text DEFAULT '-- migrate:down');\n\n-- migrate:down\nDROP TABLE users;\n");
        source.Write("20240102120000_index_users.sql", "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY users_note ON users (note);\n-- migrate:down\nDROP INDEX users_note;\n");
        source.Write("README.md", "notes");
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.Dbmate, source.Path);
        ImportWriter.Write(result, target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.Equal(["20240101120000_create_users.sql", "20240102120000_index_users.sql"], result.Converted.Select(m => m.FileName));
        Assert.Equal("-- imported from dbmate: 20240101120000_create_users.sql (version 20240101120000)\n-- stepwise:up\nCREATE TABLE users (id bigint PRIMARY KEY, note text DEFAULT '-- migrate:down');\n\n-- stepwise:down\nDROP TABLE users;\n",
            result.Converted[0].Content);
        Assert.Contains("-- stepwise:up\n-- stepwise:no-transaction\nCREATE INDEX CONCURRENTLY", result.Converted[1].Content);
        Assert.Contains(result.NotConverted, p => p.File.EndsWith("README.md", StringComparison.Ordinal));
        Assert.Empty(loaded.Problems);
        Assert.True(loaded.Versioned[1].Up!.NoTransactionDirective);
        Assert.NotNull(loaded.Versioned[0].Down);
        Assert.Equal("-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, note text DEFAULT '-- migrate:down');\n\n-- migrate:down\nDROP TABLE users;\n",
            File.ReadAllText(Path.Combine(source.Path, "20240101120000_create_users.sql")));
    }

    [Fact]
    public void Version_0_moves_every_version_up_by_one_and_headers_keep_dbmates()
    {
        using var source = new TempDirectory();
        // dbmate takes any leading digits as the version, zeros included, and any separator after them.
        source.Write("00000000000000-roles.sql", "-- migrate:up\nCREATE TABLE roles (id int);\n-- migrate:down\nDROP TABLE roles;\n");
        source.Write("00000000000001-auth.sql", "-- migrate:up\nCREATE TABLE auth (id int);\n-- migrate:down\nDROP TABLE auth;\n");
        source.Write("20240101120000_grants.sql", "-- migrate:up\nCREATE TABLE grants (id int);\n-- migrate:down\nDROP TABLE grants;\n");
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.Dbmate, source.Path);
        ImportWriter.Write(result, target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.Equal(["00000000000001_roles.sql", "00000000000002_auth.sql", "20240101120001_grants.sql"], result.Converted.Select(m => m.FileName));
        Assert.Equal(["00000000000000", "00000000000001", "20240101120000"], result.Converted.Select(m => m.SourceId));
        Assert.StartsWith("-- imported from dbmate: 00000000000000-roles.sql (version 00000000000000)\n", result.Converted[0].Content);
        var shifted = Assert.Single(result.NotConverted, p => p.Code == "version-shifted");
        Assert.EndsWith("00000000000000-roles.sql", shifted.File);
        Assert.Empty(loaded.Problems);
        Assert.Equal([1L, 2L, 20240101120001L], loaded.Versioned.Select(m => m.Version));
    }

    [Fact]
    public void Files_whose_name_order_differs_from_their_number_order_are_refused()
    {
        using var source = new TempDirectory();
        // dbmate runs files in name order: 100000022_test.sql after 10000000000000_demote.sql, though its number is smaller.
        source.Write("10000000000000_demote.sql", "-- migrate:up\nSELECT 1;\n");
        source.Write("100000022_test.sql", "-- migrate:up\nSELECT 2;\n");

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Dbmate, source.Path));

        var problem = Assert.Single(ex.Problems);
        Assert.Equal("dbmate-order", problem.Code);
        Assert.EndsWith("100000022_test.sql", problem.File);
        Assert.Contains("dbmate runs 10000000000000_demote.sql before 100000022_test.sql (name order)", problem.Message);
    }

    [Fact]
    public void Two_files_with_one_number_are_refused_naming_both()
    {
        using var source = new TempDirectory();
        source.Write("1_a.sql", "-- migrate:up\nSELECT 1;\n");
        source.Write("01_b.sql", "-- migrate:up\nSELECT 2;\n");

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Dbmate, source.Path));

        var problem = Assert.Single(ex.Problems, p => p.Code == "duplicate-version");
        Assert.Contains("version 1 is used by both", problem.Message);
    }

    [Fact]
    public void A_file_without_an_up_marker_is_refused_and_nothing_is_written()
    {
        using var source = new TempDirectory();
        source.Write("1_a.sql", "-- migrate:up\nSELECT 1;\n");
        source.Write("2_b.sql", "CREATE TABLE b (id int);\n");

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Dbmate, source.Path));

        var problem = Assert.Single(ex.Problems);
        Assert.Equal("no-up-marker", problem.Code);
        Assert.EndsWith("2_b.sql", problem.File);
    }
}
