using Spectre.Console;
using Stepwise.Execution.Backfill;

namespace Stepwise.Cli.Rendering;

/// <summary>
/// Live progress bars for the backfills a command runs (one bar per table), on a terminal that can draw them
/// (text output, colour); elsewhere — pipes, logs, <c>--no-color</c> — the engine's progress log lines are the one
/// progress format. While the bars are drawn, log lines print above them and the engine's progress lines are left
/// out (the bars say the same).
/// </summary>
internal static class BackfillBars
{
    /// <summary>Runs <paramref name="action"/>, drawing a bar for each backfill it reports through <paramref name="options"/>.</summary>
    public static async Task<T> RunAsync<T>(CliContext context, BackfillOptions options, Func<Task<T>> action, Action<BackfillProgress>? seen = null)
    {
        var previous = options.OnProgress;
        try
        {
            if (!context.Environment.IsTerminal || context.Output.Format != OutputFormat.Text || !context.Output.CanDrawLive)
            {
                options.OnProgress = p => { previous?.Invoke(p); seen?.Invoke(p); };
                return await action();
            }
            T result = default!;
            // Drawn only when progress is reported, on the migrator's own flow, which also writes the log lines: a refresh
            // timer on another thread would draw the bars while a log line is being put above them, leaving a stale copy.
            await context.Output.Console.Progress().AutoClear(false).AutoRefresh(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async live =>
                {
                    var bars = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                    options.OnProgress = p =>
                    {
                        previous?.Invoke(p);
                        seen?.Invoke(p);
                        if (!bars.TryGetValue(p.Table, out var bar))
                        {
                            bars[p.Table] = bar = live.AddTask(p.Table, maxValue: 1);
                        }
                        bar.MaxValue = Math.Max(1, p.Total);
                        bar.Value = p.Done ? bar.MaxValue : Math.Min(p.RowsVisited, bar.MaxValue);
                        bar.Description = $"backfill {Output.Escape(p.Table)}: {p.RowsDone:N0} rows, {p.RowsPerSecond:N0}/s"
                            + (p.Waiting is { } waiting ? $" [yellow]waiting: {Output.Escape(waiting)}[/]" : "");
                        live.Refresh();
                    };
                    using (context.Output.BeginLive())
                    {
                        result = await action();
                    }
                });
            return result;
        }
        finally
        {
            options.OnProgress = previous;
        }
    }
}
