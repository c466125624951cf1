using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Stepwise.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Stepwise in an application: the start-up gate and the health check.</summary>
public static class StepwiseServiceCollectionExtensions
{
    /// <summary>The tag <see cref="AddStepwiseHealthCheck"/> gives its check unless told otherwise: for readiness probes.</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// Checks (<see cref="StepwiseStartupMode.RequireUpToDate"/>, the default) or brings up to date
    /// (<see cref="StepwiseStartupMode.Apply"/>) the application's database before it serves traffic.
    /// Options come from the <c>Stepwise</c> configuration section, then from <paramref name="configure"/>.
    /// </summary>
    public static IServiceCollection AddStepwise(this IServiceCollection services, Action<StepwiseOptions>? configure = null)
    {
        AddCore(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, StepwiseStartup>());
        return services;
    }

    /// <summary>
    /// Adds the Stepwise health check (name <c>stepwise</c>, tag <c>ready</c>): healthy when the database is up to
    /// date with the application's migrations, <paramref name="failureStatus"/> (unhealthy by default) when
    /// anything is pending, failed, partial or modified, or a required column is missing. Uses the options of
    /// <see cref="AddStepwise"/> (or, without it, of the <c>Stepwise</c> configuration section).
    /// </summary>
    public static IHealthChecksBuilder AddStepwiseHealthCheck(this IHealthChecksBuilder builder, string name = "stepwise",
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddCore(builder.Services);
        return builder.Add(new HealthCheckRegistration(name, services => services.GetRequiredService<StepwiseHealthCheck>(),
            failureStatus, tags ?? [ReadyTag], timeout));
    }

    private static void AddCore(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<StepwiseOptions>, StepwiseConfiguration>());
        services.TryAddSingleton<StepwiseDatabase>();
        services.TryAddSingleton<StepwiseHealthCheck>();
    }
}
