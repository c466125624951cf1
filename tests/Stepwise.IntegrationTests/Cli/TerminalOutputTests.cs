using System.Text.RegularExpressions;
using Stepwise.Cli;
using Stepwise.Cli.Rendering;
using Stepwise.Execution;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Cli;

/// <summary>
/// What <c>stepwise apply</c> leaves on a real terminal (<see cref="Terminal"/>: a tmux pane, read back once the command has exited).
/// </summary>
public sealed partial class TerminalOutputTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
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
        // One bar for the backfill, finished, alone on its line (the engine's own progress lines are left out while it shows;
        // its warnings, such as a batch cancelled at its bound, are log lines above it).
        var bars = lines.Where(l => l.StartsWith("backfill public.big:", StringComparison.Ordinal) && l.Contains('━')).ToList();
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

    [Fact]
    public async Task Status_on_a_terminal_draws_its_table_whole_with_each_state_in_its_colour()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_one.sql", "-- stepwise:up\nCREATE TABLE one (id int);\n").Write("2_表を作る.sql", "-- stepwise:up\nCREATE TABLE two (id int);\n").WriteSum();
        await ws.Migrator().ApplyAsync(new ApplyRequest());
        ws.Write("3_three.sql", "-- stepwise:up\nCREATE TABLE three (id int);\n").WriteSum();

        var screen = await Terminal.RunAsync(["status", "--dir", ws.Directory], ws.ConnectionString, ws.Directory, escapes: true);

        Assert.Contains("EXIT=1", screen); // 3_three.sql is pending
        // Each state in its colour: Spectre's green (palette 2) and yellow (palette 11, the bright one), which tmux writes as 32 and 93,
        // or as 38;5;x when they were given as colours of 256.
        Assert.Equal(2, ColouredState(screen, "applied", "32|38;5;2").Count);
        Assert.Single(ColouredState(screen, "pending", "93|38;5;11"));
        // The table whole: every line of it as wide as its top border in terminal cells, the wide characters' line too, ending in a border.
        var table = Escape().Replace(screen, "").Split('\n').SkipWhile(l => !l.StartsWith('╭')).TakeWhile(l => l.Length > 0 && l[0] is '╭' or '│' or '├' or '╰').ToList();
        Assert.Equal(7, table.Count);
        Assert.All(table, l => Assert.Equal(TextTable.CellWidth(table[0]), TextTable.CellWidth(l)));
        Assert.All(table.Skip(1).SkipLast(1), l => Assert.Matches("[│┤]$", l));
        Assert.Contains(table, l => l.StartsWith("│       2 │ 2_表を作る.sql │ applied │", StringComparison.Ordinal));
    }

    private static List<Match> ColouredState(string screen, string state, string colour) =>
        Regex.Matches(screen, $@"\u001b\[({colour})m(\u001b\[[0-9;]*m)*{state}\b").ToList();

    [GeneratedRegex(@"\u001b\[[0-9;]*m")]
    private static partial Regex Escape();

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

    private static Task<string> RunInTerminalAsync(MigrationWorkspace ws, params string[] args) =>
        Terminal.RunAsync([.. args, "--dir", ws.Directory], ws.ConnectionString, ws.Directory);
}
