using Microsoft.Extensions.Logging;

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
}
