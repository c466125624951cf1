using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
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
        BindDataSource(services);
        return services;
    }

    /// <summary>
    /// Registers the application's <see cref="NpgsqlDataSource"/>, built from <paramref name="connectionString"/> with its
    /// connections bound to the application's schema version (see <see cref="StepwiseOptions.Binding"/>), and
    /// <paramref name="configure"/> applied to the builder (type mappings, password providers, logging: everything
    /// <c>AddStepwise</c>'s binding of an already registered data source cannot carry over). Stepwise uses the same
    /// database unless <see cref="StepwiseOptions.ConnectionString"/> says otherwise. Call <c>AddStepwise</c> too.
    /// </summary>
    public static IServiceCollection AddStepwiseDataSource(this IServiceCollection services, string connectionString, Action<NpgsqlDataSourceBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        AddCore(services);
        services.Configure<StepwiseOptions>(o => o.ConnectionString ??= connectionString);
        services.AddSingleton(sp =>
        {
            var builder = new NpgsqlDataSourceBuilder(connectionString);
            sp.GetRequiredService<StepwiseDatabase>().Binding.ApplyTo(builder.ConnectionStringBuilder);
            configure?.Invoke(builder);
            return builder.Build();
        });
        return services;
    }

    /// <summary>
    /// Binds the <see cref="NpgsqlDataSource"/> already registered (as a singleton) to the application's version: the
    /// container's data source becomes one whose connections use the version schema, while Stepwise keeps the original
    /// for its own connections. Without one registered yet, nothing: start-up warns if a version schema then goes unused.
    /// </summary>
    private static void BindDataSource(IServiceCollection services)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(NpgsqlDataSource) && !d.IsKeyedService);
        if (registered is null || registered.Lifetime != ServiceLifetime.Singleton || services.Any(d => d.ServiceType == typeof(UnboundDataSource)))
        {
            return;
        }
        services.Remove(registered);
        services.AddSingleton(sp => registered.ImplementationInstance is NpgsqlDataSource instance
            ? new UnboundDataSource(instance, owned: false)
            : new UnboundDataSource((NpgsqlDataSource)(registered.ImplementationFactory?.Invoke(sp)
                ?? ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!)), owned: true));
        services.AddSingleton(sp => sp.GetRequiredService<StepwiseDatabase>().Bind(sp.GetRequiredService<UnboundDataSource>().DataSource));
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
