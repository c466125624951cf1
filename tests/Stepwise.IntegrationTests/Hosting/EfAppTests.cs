using System.Diagnostics;
using System.Text.Json;
using Stepwise.IntegrationTests.Execution;
using Stepwise.Execution;
using Stepwise.Migrations;

namespace Stepwise.IntegrationTests.Hosting;

/// <summary>
/// examples/EfApp, an EF Core app, run as a process in its two releases: N (migrations up to
/// <c>20261201091500_note_author</c>, the text column called <c>body</c>) and N+1 (also
/// <c>20261201093000_rename_body</c>, which renames it <c>content</c>). While the rename is started both read and
/// write one database, each through its version, with no schema in the model.
/// </summary>
public sealed class EfAppTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const string Rename = "20261201093000_rename_body";

    private static readonly string Example = Path.Combine(WebAppTests.Repository, "examples", "EfApp");

    private static async Task<(int Code, string Out, string Error)> RunAsync(string connectionString, string release, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(WebAppTests.ExampleDll("EfApp"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["ConnectionStrings__Default"] = connectionString;
        start.Environment["Notes__Release"] = release;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        var result = (process.ExitCode, await output, await error);
        Assert.True(result.ExitCode == 0, $"EfApp {release} {string.Join(' ', args)} failed: {result.Item3}");
        return result;
    }

    /// <summary>A release's <c>list</c>: the schemas its connection resolves names in, and the notes' texts and authors.</summary>
    private static async Task<(string Schemas, (string?, string?)[] Notes, string Log)> ListAsync(string connectionString, string release)
    {
        var (_, output, log) = await RunAsync(connectionString, release, "list");
        using var list = JsonDocument.Parse(output);
        Assert.Equal(release, list.RootElement.GetProperty("release").GetString());
        var notes = list.RootElement.GetProperty("notes").EnumerateArray().Select(n => (n.GetProperty("Text").GetString(), n.GetProperty("Author").GetString())).ToArray();
        return (list.RootElement.GetProperty("schemas").GetString()!, notes, log);
    }

    private static void Copy(string from, string to, params string[] files)
    {
        foreach (var file in files)
        {
            File.Copy(Path.Combine(from, file), Path.Combine(to, file), overwrite: true);
        }
    }

    [Fact]
    public async Task The_ef_core_example_runs_releases_n_and_n_plus_1_of_a_rename_at_once_each_through_its_version()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        var migrations = Path.Combine(Example, "migrations");
        Copy(migrations, ws.Directory, "20261201090000_create_notes.sql", "20261201091500_note_author.yaml");
        Copy(Path.Combine(Example, "release-n"), ws.Directory, SumFile.FileName);
        await ws.Migrator().ApplyAsync(new ApplyRequest { Complete = true }); // release N's database
        await RunAsync(ws.ConnectionString, "N", "add", "from N", "ann");
        Copy(migrations, ws.Directory, $"{Rename}.yaml", SumFile.FileName);
        await ws.Migrator().ApplyAsync(new ApplyRequest()); // starts the rename: its version schema exists now
        var versionSchema = VersionSchemaName.For("public", Rename);

        await RunAsync(ws.ConnectionString, "N+1", "add", "from N+1", "bob");
        await RunAsync(ws.ConnectionString, "N", "add", "N again");
        var newer = await ListAsync(ws.ConnectionString, "N+1");
        var older = await ListAsync(ws.ConnectionString, "N");
        var completed = await ws.Migrator().CompleteAsync();
        var afterComplete = await ListAsync(ws.ConnectionString, "N+1");

        (string?, string?)[] all = [("from N", "ann"), ("from N+1", "bob"), ("N again", null)];
        Assert.Equal($"{versionSchema},public", newer.Schemas);
        Assert.Equal(all, newer.Notes);
        Assert.Contains($"connections use version {Rename} through search_path \"{versionSchema}\", \"public\"", newer.Log, StringComparison.Ordinal);
        Assert.Equal("public", older.Schemas); // release N: no version schema of its own, the tables as they are
        Assert.Equal(all, older.Notes);
        Assert.Single(completed.Runs);
        Assert.Equal($"{versionSchema},public", afterComplete.Schemas);
        Assert.Equal(all, afterComplete.Notes);
        Assert.Equal(3L, await ws.ScalarAsync<long>("SELECT count(content) FROM public.notes")); // the table took the new name
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM stepwise.instances")); // each run removed itself
    }
}
