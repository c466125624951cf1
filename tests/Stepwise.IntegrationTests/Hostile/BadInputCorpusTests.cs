using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Stepwise.Embedded;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Hostile;

/// <summary>
/// A corpus of bad migration directories, each beside a good migration: apply refuses with exit 2 and a message
/// naming the file (and line and column where there is one), applies nothing (catalog and history unchanged),
/// allocates a bounded amount; lint refuses the directory the same way (never "0 file(s)", exit 0).
/// </summary>
public class BadInputCorpusTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const string Good = "-- stepwise:up\nCREATE TABLE good_t (id int);\n-- stepwise:down\nDROP TABLE good_t;\n";

    public static TheoryData<string, string> Cases => new()
    {
        { "utf16", "2_bad.sql:1:1: error: the file is UTF-16" },
        { "binary", "2_bad.sql: error: a binary file, not SQL (a NUL byte at offset 3)" },
        { "not-utf8", "2_bad.sql:2:8: error: the file is not UTF-8 (byte 0xFF" },
        { "oversized", "2_bad.sql: error: the file is 10.0 MiB; migrations over 10 MiB are refused" },
        { "bad-name", "2-bad.sql: error: not a migration file name" },
        { "unknown-directive", "2_bad.sql:2:1: error: unknown directive 'stepwise:bogus'" },
        { "no-up-section", "2_bad.sql:1:1: error: the file has no up section" },
        { "syntax-error", "2_bad.sql:2:8: error: syntax error at or near \"TABEL\"" },
        { "dangling-link", "2_bad.sql: error: a symbolic link to nowhere.sql, which does not exist" },
        { "link-loop", "2_bad.sql: error: a symbolic link that never reaches a file" },
        { "directory", "2_bad.sql: error: a directory where a migration file is expected" },
        { "stale-sum", "stepwise.sum" },
        { "yaml-bomb", "2_bad.yaml:1:1: error: the file has no field 'a0'" },
        { "yaml-nesting", "2_bad.yaml:1:76: error: the file is not valid YAML: nesting deeper than 64 levels" },
        { "duplicate-key", "2_bad.yaml:4:7: error: duplicate key name" },
        { "wrong-type", "2_bad.yaml:3:13: error: create_index.name must be text, not a list" },
        { "json-nesting", "2_bad.json:1:" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Apply_refuses_bad_input_naming_the_place_and_changes_nothing(string corpusCase, string expected)
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        Write(ws.Directory, corpusCase);
        var before = await SnapshotAsync(ws);
        var allocated = GC.GetTotalAllocatedBytes();

        var apply = await ws.RunCliAsync("apply");
        var lint = await ws.RunCliAsync("lint");

        allocated = GC.GetTotalAllocatedBytes() - allocated;
        Assert.True(apply.Code == 2, $"apply exit {apply.Code}\n{apply.Error}");
        Assert.Contains(expected, apply.Error);
        Assert.Equal(before, await SnapshotAsync(ws));
        Assert.DoesNotContain("(run with --verbose for details)", apply.Error + lint.Error);
        if (corpusCase == "syntax-error")
        {
            Assert.Equal(1, lint.Code); // a syntax error is a lint finding, and the rest is still linted
            Assert.Contains("2_bad.sql:2:8: error [syntax-error]", lint.Out);
        }
        else
        {
            Assert.True(lint.Code == 2, $"lint exit {lint.Code}\n{lint.Out}\n{lint.Error}");
            Assert.Contains(expected, lint.Error);
        }
        Assert.True(allocated < 1_500_000_000, $"{allocated} bytes allocated");
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task An_unreadable_file_is_named_with_exit_2_even_when_running_as_root()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_good.sql", Good).Write("2_secret.sql", "-- stepwise:up\nSELECT 1;\n");
        File.SetUnixFileMode(Path.Combine(ws.Directory, "2_secret.sql"), UnixFileMode.None);
        File.SetUnixFileMode(ws.Directory, File.GetUnixFileMode(ws.Directory) | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        // Root reads any file: run stepwise as the unprivileged account the throwaway servers run as (the current user otherwise).
        var account = await ServerAccount.ResolveAsync(NullLogger.Instance, CancellationToken.None);
        var cli = typeof(Stepwise.Cli.StepwiseCli).Assembly.Location;
        var start = account.StartInfo("dotnet", ws.Directory, [cli, "apply", "--dir", ws.Directory, "-d", ws.ConnectionString, "--no-color"]);
        start.RedirectStandardError = true;
        start.RedirectStandardOutput = true;
        start.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();

        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 2, $"exit {process.ExitCode} as {account.Description}: {error}");
        Assert.Contains("2_secret.sql: error: the file cannot be read: permission denied", error);
        Assert.Equal(0L, await ws.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'good_t'"));
    }

    [Fact]
    public async Task Dry_run_of_a_migration_with_a_noncharacter_in_a_literal_shows_it_escaped()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_odd.sql", "-- stepwise:up\nCREATE TABLE odd (v text DEFAULT 'a\uFFFFb\u001b[2J');\n").WriteSum();

        var (code, output, error) = await ws.RunCliAsync("apply", "--dry-run");

        Assert.True(code == 0, error);
        Assert.Contains("a\\uFFFFb\\x1b[2J", output);
        Assert.DoesNotContain('\uFFFF', output + error);
    }

    private static void Write(string directory, string corpusCase)
    {
        File.WriteAllText(Path.Combine(directory, "1_good.sql"), Good);
        var sql = Path.Combine(directory, "2_bad.sql");
        var yaml = Path.Combine(directory, "2_bad.yaml");
        switch (corpusCase)
        {
            case "utf16":
                File.WriteAllText(sql, "-- stepwise:up\nSELECT 1;\n", Encoding.Unicode);
                break;
            case "binary":
                File.WriteAllBytes(sql, [0x7F, 0x45, 0x4C, 0x00, 0x02, 0x01]);
                break;
            case "not-utf8":
                File.WriteAllBytes(sql, [.. "-- stepwise:up\nSELECT "u8, 0xFF, .. "1;\n"u8]);
                break;
            case "oversized":
                File.WriteAllText(sql, "-- stepwise:up\n" + string.Concat(Enumerable.Repeat("SELECT 1;\n", 1_050_000)));
                break;
            case "bad-name":
                File.WriteAllText(Path.Combine(directory, "2-bad.sql"), "-- stepwise:up\nSELECT 1;\n");
                break;
            case "unknown-directive":
                File.WriteAllText(sql, "-- stepwise:up\n-- stepwise:bogus\nSELECT 1;\n");
                break;
            case "no-up-section":
                File.WriteAllText(sql, "SELECT 1;\n");
                break;
            case "syntax-error":
                File.WriteAllText(sql, "-- stepwise:up\nCREATE TABEL t (id int);\nSELECT 1;\n");
                break;
            case "dangling-link":
                File.CreateSymbolicLink(sql, "nowhere.sql");
                break;
            case "link-loop":
                File.CreateSymbolicLink(sql, "2_bad.sql");
                break;
            case "directory":
                Directory.CreateDirectory(sql);
                break;
            case "stale-sum":
                File.WriteAllText(sql, "-- stepwise:up\nSELECT 1;\n");
                File.WriteAllText(Path.Combine(directory, "stepwise.sum"), Migrations.MigrationDirectory.Load(directory).ComputedSum.Render());
                File.WriteAllText(sql, "-- stepwise:up\nSELECT 2;\n");
                break;
            case "yaml-bomb":
                var bomb = new StringBuilder("a0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n");
                for (var i = 1; i < 10; i++)
                {
                    bomb.Append($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
                }
                File.WriteAllText(yaml, bomb.Append("operations:\n  - sql:\n      up: *a9\n").ToString());
                break;
            case "yaml-nesting":
                File.WriteAllText(yaml, "operations: " + new string('[', 20_000) + new string(']', 20_000) + "\n");
                break;
            case "duplicate-key":
                File.WriteAllText(yaml, "operations:\n  - create_index:\n      name: i\n      name: j\n      table: good_t\n      columns: [id]\n");
                break;
            case "wrong-type":
                File.WriteAllText(yaml, "operations:\n  - create_index:\n      name: [1, 2]\n      table: {a: 1}\n      columns: 5\n");
                break;
            case "json-nesting":
                File.WriteAllText(Path.Combine(directory, "2_bad.json"), "{\"operations\": " + new string('[', 20_000) + new string(']', 20_000) + "}\n");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(corpusCase), corpusCase, null);
        }
    }

    /// <summary>Every relation outside the system schemas, and the number of history rows: what "nothing applied" means.</summary>
    internal static Task<string?> SnapshotAsync(MigrationWorkspace ws) => ws.ScalarAsync<string>("""
        SELECT coalesce(string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text, ',' ORDER BY n.nspname, c.relname), '')
            || ' history:' || CASE WHEN to_regclass('stepwise.migrations') IS NULL THEN 'none'
                ELSE (xpath('/row/c/text()', query_to_xml('SELECT count(*) AS c FROM stepwise.migrations', false, true, '')))[1]::text END
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
        """);
}
