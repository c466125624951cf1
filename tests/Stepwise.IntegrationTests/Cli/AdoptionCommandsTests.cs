using Stepwise.IntegrationTests.Execution;
using Stepwise.Testing;

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

    /// <summary>The README's quick start, command by command, as a user types it: STEPWISE_DATABASE_URL set, the default migrations directory.</summary>
    [Fact]
    public async Task Quick_start_works_as_written_and_edits_to_applied_migrations_stay_loud()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        var project = Directory.CreateTempSubdirectory("stepwise-quickstart-").FullName;
        try
        {
            Task<(int Code, string Out, string Error)> Stepwise(params string[] args) =>
                CliInvocation.RunAsync([.. args, "--no-color"], new Dictionary<string, string> { ["STEPWISE_DATABASE_URL"] = ws.ConnectionString }, project);
            var migrations = Path.Combine(project, "migrations");

            var created = await Stepwise("new", "create_organizations");
            var file = Directory.GetFiles(migrations, "*_create_organizations.sql").Single();
            File.WriteAllText(file, "-- stepwise:up\nCREATE TABLE organizations (id bigint PRIMARY KEY, name text NOT NULL);\n\n-- stepwise:down\nDROP TABLE organizations;\n");
            var dryRun = await Stepwise("apply", "--dry-run");
            File.AppendAllText(file, "-- still editing before it is applied\n");
            var apply = await Stepwise("apply");
            var operation = await Stepwise("new", "add_org", "--operations");
            var yaml = Directory.GetFiles(migrations, "*_add_org.yaml").Single();
            File.WriteAllText(yaml, "operations:\n  - add_column:\n      table: organizations\n      column: { name: slug, type: text, nullable: true }\n");
            var start = await Stepwise("apply");
            var complete = await Stepwise("complete");
            var status = await Stepwise("status");
            var sealing = await Stepwise("hash");
            File.AppendAllText(file, "-- an edit after it was applied\n");
            var edited = await Stepwise("status");
            var refused = await Stepwise("apply");

            Assert.Equal(0, created.Code);
            Assert.Equal(0, dryRun.Code);
            Assert.Contains("CREATE TABLE organizations", dryRun.Out);
            Assert.Equal(0, apply.Code);
            Assert.Contains("applied 1 migration(s)", apply.Out);
            Assert.Equal(0, operation.Code);
            Assert.Equal(0, start.Code);
            Assert.Equal(0, complete.Code);
            Assert.Equal(0, status.Code);
            Assert.Equal(0, sealing.Code);
            Assert.Contains("sealed", sealing.Out);
            Assert.NotEqual(0, edited.Code); // the database's history and the sealed sum both see it
            Assert.Contains("create_organizations.sql", edited.Out + edited.Error);
            Assert.Equal(2, refused.Code);
            Assert.Contains("was changed after stepwise.sum was written", refused.Error);
        }
        finally
        {
            Directory.Delete(project, recursive: true);
        }
    }
}
