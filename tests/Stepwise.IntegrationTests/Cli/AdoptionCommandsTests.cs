using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Cli;

/// <summary>What a new user meets: another tool's directory, files Stepwise does not read, and the README's quick start.</summary>
public class AdoptionCommandsTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [Theory]
    [InlineData("prisma")]
    [InlineData("goose")]
    [InlineData("golang-migrate")]
    public async Task Status_and_apply_on_another_tools_directory_exit_2_naming_the_import_instead_of_up_to_date(string tool)
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        CopyTree(Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures", tool), ws.Directory);

        var status = await ws.RunCliAsync("status");
        var apply = await ws.RunCliAsync("apply");

        Assert.Equal(2, status.Code);
        Assert.Contains($"this is a {tool} migration directory", status.Error);
        Assert.Contains($"stepwise import {tool} ", status.Error);
        Assert.DoesNotContain("up to date", status.Out);
        Assert.Equal(2, apply.Code);
        Assert.Contains($"stepwise import {tool} ", apply.Error);
        Assert.DoesNotContain("up to date", apply.Out);
    }

    [Fact]
    public async Task A_file_Stepwise_does_not_read_stops_apply_by_name()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);\n").Write("seed.csv", "1\n").WriteSum();

        var apply = await ws.RunCliAsync("apply");

        Assert.Equal(2, apply.Code);
        Assert.Contains("1 entry Stepwise does not read: seed.csv", apply.Error);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename = 'a'"));
    }
}
