using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Stepwise.Hosting;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Hosting;

/// <summary>Builds in-process hosts with Stepwise registered, their log lines collected.</summary>
internal static class TestHosts
{
    public static IHost Build(ListLogger log, Action<StepwiseOptions>? configure = null, IDictionary<string, string?>? configuration = null,
        Action<IServiceCollection>? services = null, Action<IServiceCollection>? before = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(configuration ?? new Dictionary<string, string?>());
        builder.Logging.AddProvider(new ListLoggerProvider(log));
        before?.Invoke(builder.Services); // what the application registers before AddStepwise (its data source)
        builder.Services.AddStepwise(configure);
        builder.Services.AddHealthChecks().AddStepwiseHealthCheck();
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>A host for the workspace: its database and directory, the given mode.</summary>
    public static IHost For(MigrationWorkspace ws, StepwiseStartupMode mode, Action<StepwiseOptions>? configure = null) =>
        Build(ws.Log, o =>
        {
            o.ConnectionString = ws.ConnectionString;
            o.Directory = ws.Directory;
            o.Mode = mode;
            configure?.Invoke(o);
        });

    private sealed class ListLoggerProvider(ListLogger log) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => log;

        public void Dispose()
        {
        }
    }
}
