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
