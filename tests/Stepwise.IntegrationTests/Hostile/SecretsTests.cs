using Npgsql;
using Stepwise.Cli;
using Stepwise.IntegrationTests.Execution;
using Stepwise.Testing;

namespace Stepwise.IntegrationTests.Hostile;

/// <summary>
/// A distinctive password in every form of connection string (URL with reserved characters, well-formed or not;
/// keyword string, quoted or not; the environment; stepwise.json; --dev-url) through the failure and verbose paths
/// of every command that connects: it never appears in standard output or standard error (where logs go too).
/// </summary>
public class SecretsTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const string Password = "Qx9@Sec:ret/Pw%XYZZY2";
    private static readonly string[] Fragments = ["XYZZY", "Sec:ret", "Qx9", "XYZZY2", Uri.EscapeDataString(Password)];

    /// <summary>Where the password is given, as (name, connection value) pairs; nothing listens on port 1.</summary>
    private static IEnumerable<(string Form, string Value)> Forms(string livePort) =>
    [
        ("malformed URL", $"postgres://u:{Password}@127.0.0.1:1/db"),
        ("encoded URL, no server", $"postgres://u:{Uri.EscapeDataString(Password)}@127.0.0.1:1/db?connect_timeout=2"),
        ("encoded URL, bad option", $"postgres://u:{Uri.EscapeDataString(Password)}@127.0.0.1:1/db?nonsense=1"),
        ("keyword string, no server", $"Host=127.0.0.1;Port=1;Username=u;Password={Password};Database=db;Timeout=2"),
        ("quoted keyword string, bad key", $"Host=127.0.0.1;Password='{Password};x';Bogus=1"),
        ("encoded URL, live server", $"postgres://postgres:{Uri.EscapeDataString(Password)}@127.0.0.1:{livePort}/postgres"),
    ];

    private static readonly string[][] Commands =
    [
        ["status"], ["apply"], ["apply", "--dry-run"], ["validate"], ["lint"], ["drift"], ["complete"], ["rollback"],
    ];

    [Fact]
    public async Task A_password_never_appears_in_any_output_of_any_command_in_any_form()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);\n-- stepwise:down\nDROP TABLE a;\n").WriteSum();
        var livePort = new NpgsqlConnectionStringBuilder(ws.ConnectionString).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var runs = 0;
        foreach (var (form, value) in Forms(livePort))
        {
            foreach (var command in Commands)
            {
                await AssertNoSecret(form, "-d", await Run(ws.Directory, [.. command, "-d", value, "-v"]));
                await AssertNoSecret(form, "STEPWISE_DATABASE_URL", await Run(ws.Directory, [.. command, "-v"], env: value));
                await AssertNoSecret(form, "stepwise.json", await Run(ws.Directory, [.. command, "-v"], config: value));
                runs += 3;
            }
            foreach (var command in new[] { "verify", "diff" })
            {
                string[] args = command == "diff" ? ["diff", ws.Directory, value, "--dev-url", value, "-v"] : ["verify", "--dev-url", value, "-v"];
                await AssertNoSecret(form, "--dev-url", await Run(ws.Directory, args));
                runs++;
            }
        }
        Assert.True(runs > 100, $"{runs} runs");
    }

    [Fact]
    public async Task A_password_never_appears_in_any_output_of_a_fleet_in_any_form()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);\n-- stepwise:down\nDROP TABLE a;\n").WriteSum();
        var livePort = new NpgsqlConnectionStringBuilder(ws.ConnectionString).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var targets = Path.Combine(ws.Directory, "..", $"targets-{Guid.NewGuid():N}.txt");
        try
        {
            foreach (var (form, value) in Forms(livePort))
            {
                // In a targets file, named and not; as the catalog (state and targets query); as the server of --databases.
                await File.WriteAllLinesAsync(targets, [$"first {value}", value]);
                foreach (var action in new[] { "apply", "status", "complete" })
                {
                    await AssertNoSecret(form, "targets file", await Run(ws.Directory, ["fleet", action, "--targets", targets, "--state", targets + ".state", "-v"]));
                    await AssertNoSecret(form, "targets file, json", await Run(ws.Directory, ["fleet", action, "--targets", targets, "--state", targets + ".state", "--format", "json"]));
                }
                if (File.Exists(targets + ".state"))
                {
                    var state = await File.ReadAllTextAsync(targets + ".state");
                    Assert.DoesNotContain(Fragments, f => state.Contains(f, StringComparison.Ordinal));
                }
                await AssertNoSecret(form, "--catalog", await Run(ws.Directory, ["fleet", "apply", "--catalog", value, "--targets-query", "SELECT 'x'", "-v"]));
                await AssertNoSecret(form, "--databases", await Run(ws.Directory, ["fleet", "status", "--databases", "w%", "-d", value, "--state", targets + ".state", "-v"]));
            }
        }
        finally
        {
            foreach (var file in new[] { targets, targets + ".state", targets + ".state.lock" })
            {
                File.Delete(file);
            }
        }
    }

    private static Task AssertNoSecret(string form, string where, (string[] Args, int Code, string Out, string Error) run)
    {
        var all = run.Out + run.Error;
        foreach (var fragment in Fragments)
        {
            Assert.False(all.Contains(fragment, StringComparison.Ordinal),
                $"'{fragment}' of the password shown by stepwise {string.Join(' ', run.Args.Where(a => !a.Contains("XYZZY", StringComparison.Ordinal)))} ({form} through {where}), exit {run.Code}:\n{all}");
        }
        Assert.InRange(run.Code, 0, 3);
        return Task.CompletedTask;
    }

    private static async Task<(string[] Args, int Code, string Out, string Error)> Run(string directory, string[] args, string? env = null, string? config = null)
    {
        var workingDirectory = Directory.CreateTempSubdirectory("stepwise-secrets-").FullName;
        try
        {
            if (config is not null)
            {
                await File.WriteAllTextAsync(Path.Combine(workingDirectory, "stepwise.json"),
                    System.Text.Json.JsonSerializer.Serialize(new { database = config }));
            }
            var variables = env is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["STEPWISE_DATABASE_URL"] = env };
            var (code, stdout, stderr) = await CliInvocation.RunAsync([.. args, "--dir", directory, "--no-color"], variables, workingDirectory);
            return (args, code, stdout, stderr);
        }
        finally
        {
            Directory.Delete(workingDirectory, recursive: true);
        }
    }
}
