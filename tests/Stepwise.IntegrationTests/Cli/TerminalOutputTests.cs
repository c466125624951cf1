using System.Diagnostics;
using System.Text.RegularExpressions;
using Stepwise.Cli;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Cli;

/// <summary>
/// What <c>stepwise apply</c> leaves on a real terminal: the CLI runs in a tmux pane of 150 columns (a pseudo-terminal,
/// so standard output and error are both the terminal and Spectre draws live bars), and the pane's screen, scrollback
/// included, is read back with <c>tmux capture-pane</c> once the command has exited. Needs tmux.
/// </summary>
public sealed partial class TerminalOutputTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const int Width = 150;

    private static MigrationWorkspace Backfilling(MigrationWorkspace ws) => ws
        .Write("1_base.sql", "-- stepwise:up\nCREATE TABLE big (id bigint PRIMARY KEY, line text NOT NULL);\nINSERT INTO big SELECT g, 'line ' || g FROM generate_series(1, 60000) g;\n")
        .Write("2_upper.yaml", "operations:\n  - add_column: { table: big, column: { name: upper_line, type: text, nullable: false }, up: upper(line) }\n")
        .WriteSum();

    [Fact]
    public async Task Apply_on_a_terminal_prints_each_log_line_whole_above_one_live_bar()
    {
        await using var ws = Backfilling(await MigrationWorkspace.CreateAsync(fixture));

        var screen = await RunInTerminalAsync(ws, "apply", "--batch-time", "20ms", "--batch-pause", "20ms");

        Assert.Contains("EXIT=0", screen);
        var lines = screen.Split('\n');
        // One bar for the backfill, finished, alone on its line (the engine's own progress lines are left out while it shows).
        var bars = lines.Where(l => l.StartsWith("backfill public.big:", StringComparison.Ordinal)).ToList();
        Assert.True(bars.Count == 1, "one bar expected on the screen:\n" + screen);
        var bar = bars[0];
        Assert.Matches(FinishedBar(), bar);
        // Every log line whole, on its own line, once: nothing of a bar runs into it, nothing of it into a bar.
        // A log line longer than the terminal is wrapped by the live console at a word: read it back as one line.
        var logLines = LogicalLines(lines);
        var steps = logLines.Select(l => StepLine().Match(l)).Where(m => m.Success).ToList();
        Assert.True(steps.Count > 0, "no whole step line on the screen:\n" + screen);
        var total = int.Parse(steps[0].Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Enumerable.Range(1, total).SequenceEqual(steps.Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))),
            $"step lines 1 to {total}, each whole and once, expected on the screen:\n" + screen);
        Assert.Single(lines, l => AppliedLine().IsMatch(l));
        Assert.DoesNotContain(lines, l => l.Contains("2_upper.yaml", StringComparison.Ordinal) && (l.Contains('%') || l.Contains('━')));
        Assert.DoesNotContain(lines, l => TextAfterTime().IsMatch(l));
    }

    [Fact]
    public async Task Apply_on_a_terminal_without_colour_has_one_progress_format()
    {
        await using var ws = Backfilling(await MigrationWorkspace.CreateAsync(fixture));

        var screen = await RunInTerminalAsync(ws, "apply", "--no-color");

        Assert.Contains("EXIT=0", screen);
        var lines = screen.Split('\n');
        // The engine's progress lines only: no bar, no percentages of a second format beside them.
        Assert.Contains(lines, l => l.StartsWith("backfill public.big: 60000 rows updated", StringComparison.Ordinal) && l.EndsWith(", done", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains('%') || l.Contains('━'));
    }

    /// <summary>Physical lines joined where a line only continues the one above (it starts with none of the outputs' own beginnings).</summary>
    private static List<string> LogicalLines(string[] lines)
    {
        string[] starts = ["2_upper.yaml:", "applying ", "applied ", "started ", "backfill ", "start ", "EXIT=", "╭", "│", "├", "╰"];
        var joined = new List<string>();
        foreach (var line in lines)
        {
            if (joined.Count > 0 && line.Length > 0 && joined[^1].Length > 0 && !starts.Any(s => line.StartsWith(s, StringComparison.Ordinal)))
            {
                joined[^1] += " " + line;
            }
            else
            {
                joined.Add(line);
            }
        }
        return joined;
    }

    /// <summary>A finished Spectre bar: description, the bar, 100%, the remaining time.</summary>
    [GeneratedRegex(@"^backfill public\.big: 60,000 rows, [\d,]+/s\s+━+\s+100%\s+\d\d:\d\d:\d\d$")]
    private static partial Regex FinishedBar();

    /// <summary>A step's log line and nothing else.</summary>
    [GeneratedRegex(@"^2_upper\.yaml: start step (\d+)/(\d+): [^%━]* \(\d+ ms\)$")]
    private static partial Regex StepLine();

    [GeneratedRegex(@"^applied 1_base\.sql in \d+ ms$")]
    private static partial Regex AppliedLine();

    /// <summary>A bar's remaining time with other text run into it (<c>00:00:123 ms)</c>).</summary>
    [GeneratedRegex(@"\d\d:\d\d:\d\d\S")]
    private static partial Regex TextAfterTime();

    /// <summary>Runs the CLI in a detached tmux session of <see cref="Width"/> columns and returns the pane, scrollback included, after it exits.</summary>
    private static async Task<string> RunInTerminalAsync(MigrationWorkspace ws, params string[] args)
    {
        var session = $"stepwise-test-{Guid.NewGuid():N}";
        var cli = string.Join(' ', new[] { "dotnet", typeof(StepwiseCli).Assembly.Location }.Concat(args).Concat(["--dir", ws.Directory]).Select(Shell));
        var command = $"env STEPWISE_DATABASE_URL={Shell(ws.ConnectionString)} {cli}; echo EXIT=$?; sleep 600";
        await TmuxAsync("new-session", "-d", "-s", session, "-x", Width.ToString(), "-y", "50", command);
        try
        {
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (true)
            {
                var screen = await TmuxAsync("capture-pane", "-p", "-J", "-t", session, "-S", "-500");
                if (screen.Contains("EXIT=", StringComparison.Ordinal))
                {
                    return string.Join('\n', screen.Split('\n').Select(l => l.TrimEnd()));
                }
                Assert.True(DateTime.UtcNow < deadline, "the command did not finish in 3 minutes:\n" + screen);
                await Task.Delay(200);
            }
        }
        finally
        {
            await TmuxAsync("kill-session", "-t", session);
        }
    }

    private static string Shell(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static async Task<string> TmuxAsync(params string[] args)
    {
        var info = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException("tmux did not start");
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"tmux {string.Join(' ', args)}: {error}");
        return output;
    }
}
