using Spectre.Console;
using Stepwise.Execution.Backfill;

namespace Stepwise.Cli.Rendering;

/// <summary>
/// Live progress bars for the backfills a command runs (one bar per table), on a terminal with text
/// output; elsewhere the engine's progress log lines are all there is.
/// </summary>
internal static class BackfillBars
{
    /// <summary>Runs <paramref name="action"/>, drawing a bar for each backfill it reports through <paramref name="options"/>.</summary>
    public static async Task<T> RunAsync<T>(CliContext context, BackfillOptions options, Func<Task<T>> action, Action<BackfillProgress>? seen = null)
    {
        var previous = options.OnProgress;
        try
        {
            if (!context.Environment.IsTerminal || context.Output.Format != OutputFormat.Text)
            {
                options.OnProgress = p => { previous?.Invoke(p); seen?.Invoke(p); };
                return await action();
            }
            T result = default!;
            await context.Output.Console.Progress().AutoClear(false)
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
                        bar.Description = $"backfill {Output.Escape(p.Table)}: {p.RowsDone:N0} rows, {p.RowsPerSecond:N0}/s";
                    };
                    result = await action();
                });
            return result;
        }
        finally
        {
            options.OnProgress = previous;
        }
    }
}
