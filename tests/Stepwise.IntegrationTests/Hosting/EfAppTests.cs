using System.Diagnostics;
using System.Text.Json;
using Stepwise.IntegrationTests.Execution;
using Stepwise.Migrations;

namespace Stepwise.IntegrationTests.Hosting;

/// <summary>
/// examples/EfApp, an EF Core app, run as a process: its DbContext reads and writes through the version schema of the
/// newest migration it ships, with no schema in its model.
/// </summary>
public sealed class EfAppTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static async Task<(int Code, string Out, string Error)> RunAsync(string connectionString, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(WebAppTests.ExampleDll("EfApp"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["ConnectionStrings__Default"] = connectionString;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    [Fact]
    public async Task The_ef_core_example_reads_and_writes_through_the_version_schema_of_its_newest_migration()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(WebAppTests.Repository, "examples", "EfApp", "migrations")))
        {
            File.Copy(file, Path.Combine(ws.Directory, Path.GetFileName(file)));
        }
        Assert.Equal(0, (await ws.RunCliAsync("apply")).Code); // 20261201091500_note_author started
        var versionSchema = VersionSchemaName.For("public", "20261201091500_note_author");
        // Until starting an operation migration creates its version schema, the test makes it as the start will.
        await ws.ExecuteAsync($"CREATE SCHEMA {versionSchema}; CREATE VIEW {versionSchema}.notes AS SELECT id, body, author FROM public.notes");

        var added = await RunAsync(ws.ConnectionString, "add", "hello", "ann");
        var listed = await RunAsync(ws.ConnectionString, "list");

        Assert.True(added.Code == 0, added.Error);
        Assert.True(listed.Code == 0, listed.Error);
        using var list = JsonDocument.Parse(listed.Out);
        Assert.Equal($"{versionSchema},public", list.RootElement.GetProperty("schemas").GetString());
        var note = Assert.Single(list.RootElement.GetProperty("notes").EnumerateArray().ToList());
        Assert.Equal(("hello", "ann"), (note.GetProperty("Body").GetString(), note.GetProperty("Author").GetString()));
        Assert.Contains($"connections use version 20261201091500_note_author through search_path \"{versionSchema}\", \"public\"", listed.Error, StringComparison.Ordinal);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM stepwise.instances")); // each run removed itself
    }
}
