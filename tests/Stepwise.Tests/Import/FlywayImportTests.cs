using Stepwise.Import;
using Stepwise.Migrations;
using Stepwise.Tests.Migrations;

namespace Stepwise.Tests.Import;

public class FlywayImportTests
{
    [Fact]
    public void Versioned_undo_and_repeatable_scripts_become_Stepwise_files()
    {
        using var source = new TempDirectory();
        source.Write("V1__create_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY);\n");
        source.Write("U1__create_users.sql", "DROP TABLE users;\n");
        Directory.CreateDirectory(Path.Combine(source.Path, "later"));
        source.Write("later/V1_1__add_email.sql", "ALTER TABLE users ADD COLUMN email text;\n");
        source.Write("V2__index_email.sql", "CREATE INDEX CONCURRENTLY users_email ON users (email);\n");
        source.Write("V2__index_email.sql.conf", "executeInTransaction=false\n");
        source.Write("R__user_view.sql", "CREATE OR REPLACE VIEW user_emails AS SELECT id, email FROM users;\n");
        source.Write("V3__Backfill.java", "class V3__Backfill {}");
        source.Write("afterMigrate.sql", "SELECT 1;");
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.Flyway, source.Path);
        ImportWriter.Write(result, target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.Equal(["10_create_users.sql", "11_add_email.sql", "20_index_email.sql", "R_user_view.sql"], result.Converted.Select(m => m.FileName));
        Assert.StartsWith($"-- imported from flyway: R__user_view.sql (checksum {FlywayImport.Checksum("CREATE OR REPLACE VIEW user_emails AS SELECT id, email FROM users;\n")})\n", result.Converted[3].Content);
        Assert.Equal(["1", "1.1", "2", null], result.Converted.Select(m => m.SourceId)); // as Flyway records them
        Assert.Equal("-- imported from flyway: V1__create_users.sql (version 1)\n-- stepwise:up\nCREATE TABLE users (id bigint PRIMARY KEY);\n\n-- stepwise:down\nDROP TABLE users;\n",
            result.Converted[0].Content);
        Assert.Equal("V1__create_users.sql + U1__create_users.sql", result.Converted[0].Source);
        Assert.Contains("-- stepwise:no-transaction\nCREATE INDEX CONCURRENTLY", result.Converted[2].Content);
        Assert.Contains(result.NotConverted, p => p.File.EndsWith(".java", StringComparison.Ordinal) && p.Message.Contains("Java migration"));
        Assert.Contains(result.NotConverted, p => p.File.EndsWith("afterMigrate.sql", StringComparison.Ordinal) && p.Message.Contains("callback"));
        Assert.Empty(loaded.Problems);
        Assert.Equal("R_user_view.sql", Assert.Single(loaded.Repeatable).FileName);
    }

    [Fact]
    public void Versions_with_several_parts_map_in_Flyway_order_by_padding_each_part()
    {
        var mapped = FlywayImport.MapVersions(["1", "1.1", "1.10", "2", "2_1", "10.0"], out var error);

        Assert.Null(error);
        Assert.Equal([100L, 101L, 110L, 200L, 201L, 1000L], new[] { "1", "1.1", "1.10", "2", "2_1", "10.0" }.Select(v => mapped[v]));
        Assert.Equal(20240101120000L, FlywayImport.MapVersions(["20240101120000", "3"], out _)["20240101120000"]);
    }

    [Fact]
    public void Versions_Flyway_treats_as_equal_are_refused()
    {
        using var source = new TempDirectory();
        source.Write("V1__a.sql", "SELECT 1;");
        source.Write("V1.0__b.sql", "SELECT 2;");

        var ex = Assert.Throws<ImportRefusedException>(() => Importer.Read(ImportSource.Flyway, source.Path));

        Assert.Contains(ex.Problems, p => p.Code == "duplicate-version" && p.Message.Contains("V1.0__b.sql"));
    }

    [Fact]
    public void Placeholders_are_reported_with_their_position()
    {
        using var source = new TempDirectory();
        source.Write("V1__a.sql", "CREATE TABLE t (id int);\nGRANT SELECT ON t TO ${reader};\n");

        var result = Importer.Read(ImportSource.Flyway, source.Path);

        var problem = Assert.Single(result.NotConverted);
        Assert.Equal(("placeholder", 2, 22), (problem.Code, problem.Line, problem.Column));
        Assert.Contains("${reader}", problem.Message);
    }

    [Fact]
    public void Two_scripts_that_would_get_the_same_file_name_are_refused()
    {
        using var source = new TempDirectory();
        source.Write("R__user view.sql", "SELECT 1;");
        source.Write("R__user_view.sql", "SELECT 2;");
        using var target = new TempDirectory();

        var ex = Assert.Throws<ImportRefusedException>(() => ImportWriter.Write(Importer.Read(ImportSource.Flyway, source.Path), target.Path));

        Assert.Equal("duplicate-name", Assert.Single(ex.Problems).Code);
        Assert.Empty(Directory.EnumerateFiles(target.Path));
    }

    [Fact]
    public void Checksums_are_Flyways_crc32_over_lines_without_their_endings()
    {
        Assert.Equal(unchecked((int)0xCBF43926), FlywayImport.Checksum("123456789")); // the CRC-32 check value
        Assert.Equal(FlywayImport.Checksum("12345\n6789\n"), FlywayImport.Checksum("123456789"));
        Assert.Equal(FlywayImport.Checksum("a\r\nb"), FlywayImport.Checksum("a\nb"));
        Assert.NotEqual(FlywayImport.Checksum("a b"), FlywayImport.Checksum("ab"));
    }

    [Fact]
    public void A_baseline_migration_without_the_versions_it_replaces_is_imported_as_the_first_migration()
    {
        using var source = new TempDirectory();
        // The history before 2.4 was squashed into a baseline migration; Flyway builds a new database from it.
        source.Write("B2_4_0__squashed.sql", "CREATE TABLE devices (id bigint PRIMARY KEY);\n");
        source.Write("B1_0__older.sql", "CREATE TABLE legacy (id int);\n");
        source.Write("V2_4_1__device_name.sql", "ALTER TABLE devices ADD COLUMN name text;\n");
        source.Write("V2_5__device_index.sql", "CREATE INDEX devices_name ON devices (name);\n");
        using var target = new TempDirectory();

        var result = Importer.Read(ImportSource.Flyway, source.Path);
        ImportWriter.Write(result, target.Path);
        var loaded = MigrationDirectory.Load(target.Path);

        Assert.Equal(["240_squashed.sql", "241_device_name.sql", "250_device_index.sql"], result.Converted.Select(m => m.FileName));
        Assert.Equal(["2.4.0", "2.4.1", "2.5"], result.Converted.Select(m => m.SourceId));
        Assert.StartsWith("-- imported from flyway: B2_4_0__squashed.sql (version 2.4.0)\n-- stepwise:up\nCREATE TABLE devices", result.Converted[0].Content);
        Assert.Contains(result.NotConverted, p => p.Code == "baseline-migration" && p.File.EndsWith("B2_4_0__squashed.sql", StringComparison.Ordinal)
            && p.Message.Contains("imported as the first migration", StringComparison.Ordinal));
        Assert.Contains(result.NotConverted, p => p.Code == "baseline-migration" && p.File.EndsWith("B1_0__older.sql", StringComparison.Ordinal)
            && p.Message.StartsWith("not converted: a Flyway baseline migration older than B2_4_0__squashed.sql", StringComparison.Ordinal));
        Assert.Empty(loaded.Problems);
    }

    [Fact]
    public void A_baseline_migration_is_left_out_when_the_versioned_migrations_it_stands_for_are_there()
    {
        using var source = new TempDirectory();
        source.Write("V1__devices.sql", "CREATE TABLE devices (id bigint PRIMARY KEY);\n");
        source.Write("V2__device_name.sql", "ALTER TABLE devices ADD COLUMN name text;\n");
        source.Write("B2__devices_with_name.sql", "CREATE TABLE devices (id bigint PRIMARY KEY, name text);\n");
        source.Write("V3__device_index.sql", "CREATE INDEX devices_name ON devices (name);\n");

        var result = Importer.Read(ImportSource.Flyway, source.Path);

        Assert.Equal(["1_devices.sql", "2_device_name.sql", "3_device_index.sql"], result.Converted.Select(m => m.FileName));
        var left = Assert.Single(result.NotConverted, p => p.Code == "baseline-migration");
        Assert.Equal("not converted: a Flyway baseline migration; the versioned migrations up to version 2 (2 of them) are imported and build a new database instead", left.Message);
    }
}
