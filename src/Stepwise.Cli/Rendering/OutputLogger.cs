using Microsoft.Extensions.Logging;
using Stepwise.Execution;

namespace Stepwise.Cli.Rendering;

/// <summary>The library's log, shown on standard error: progress dimmed, waits and retries in yellow, failures in red.</summary>
internal sealed class OutputLogger(Output output) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= (output.Verbose ? LogLevel.Debug : LogLevel.Information);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }
        if (output.Live && eventId == EventIds.BackfillProgress && IsRowProgress(state))
        {
            return; // the live bar shows it
        }
        var message = formatter(state, exception);
        switch (logLevel)
        {
            case >= LogLevel.Error:
                // Failures are reported once, in full, by the command itself.
                if (output.Verbose)
                {
                    output.Error(message);
                }
                break;
            case LogLevel.Warning:
                output.Warning(message);
                break;
            default:
                output.Info(message);
                break;
        }
    }

    /// <summary>A backfill's rows-done line (not its other progress news, such as yielding to client latency).</summary>
    private static bool IsRowProgress<TState>(TState state) =>
        state is IReadOnlyList<KeyValuePair<string, object?>> values
        && values.Any(v => v.Key == "{OriginalFormat}" && v.Value is string format && format.StartsWith("backfill {Table}:", StringComparison.Ordinal));
}
