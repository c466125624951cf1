using System.Text;
using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Tests.Migrations;

public class MigrationSourceTests
{
    private static readonly string s_embeddedFolder = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "Migrations", "EmbeddedMigrations");

    [Fact]
    public void Embedded_resources_load_like_the_folder_they_were_built_from()
    {
        var embedded = MigrationDirectory.Load(MigrationSource.FromEmbeddedResources(typeof(MigrationSourceTests).Assembly, "embedded-migrations"));
        var folder = MigrationDirectory.Load(s_embeddedFolder);

        Assert.Empty(embedded.Problems); // the embedded stepwise.sum was read and matches
        Assert.True(embedded.HasSumFile);
        Assert.Equal(["1_accounts.sql", "2_email.sql"], embedded.Versioned.Select(m => m.FileName));
        Assert.Equal(folder.Versioned.Select(m => m.Checksum), embedded.Versioned.Select(m => m.Checksum));
        Assert.Equal(Path.Combine("embedded-migrations", "2_email.sql"), embedded.Versioned[1].Path);
        Assert.Single(embedded.Versioned[1].Up!.Statements);
    }

    [Fact]
    public void No_embedded_migrations_under_the_prefix_is_an_error_that_says_how_to_embed_them()
    {
        var d = MigrationDirectory.Load(MigrationSource.FromEmbeddedResources(typeof(MigrationSourceTests).Assembly, "migrations"));

        var problem = Assert.Single(d.Problems);
        Assert.Equal(("no-directory", Severity.Error), (problem.Code, problem.Severity));
        Assert.Contains("no migrations are embedded in assembly Stepwise.Tests under the resource name prefix 'migrations/'", problem.Message, StringComparison.Ordinal);
        Assert.Contains("LogicalName=\"migrations/%(Filename)%(Extension)\"", problem.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Files_in_memory_are_checked_against_their_sum_like_files_on_disk()
    {
        using var dir = new TempDirectory();
        dir.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);\n");
        dir.Write(SumFile.FileName, MigrationDirectory.Load(dir.Path).ComputedSum.Render());
        var sum = File.ReadAllBytes(Path.Combine(dir.Path, SumFile.FileName));

        var same = MigrationDirectory.Load(MigrationSource.FromFiles("app/migrations",
            [("1_a.sql", Encoding.UTF8.GetBytes("-- stepwise:up\r\nCREATE TABLE a (id int);\r\n")), (SumFile.FileName, sum)]));
        var edited = MigrationDirectory.Load(MigrationSource.FromFiles("app/migrations",
            [("1_a.sql", Encoding.UTF8.GetBytes("-- stepwise:up\nCREATE TABLE a (id bigint);\n")), (SumFile.FileName, sum)]));

        Assert.Empty(same.Problems); // CRLF hashes as LF, as on disk
        Assert.Equal(MigrationDirectory.Load(dir.Path).Versioned[0].Checksum, same.Versioned[0].Checksum);
        var problem = Assert.Single(edited.Problems, p => p.Severity == Severity.Error);
        Assert.StartsWith(Path.Combine("app/migrations", SumFile.FileName), problem.File, StringComparison.Ordinal);
    }
}
