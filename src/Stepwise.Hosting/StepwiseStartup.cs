using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Stepwise.Connections;
using Stepwise.Execution;
using Stepwise.Instances;

namespace Stepwise.Hosting;

/// <summary>
/// The start-up gate. It runs in <see cref="IHostedLifecycleService.StartingAsync"/>, which the host calls for
/// every lifecycle service before it starts any hosted service (the web server among them), so the
/// application serves no request on a schema it is not ready for. Refusing is throwing: the host stops and
/// the process exits non-zero, after one error line that names what is wrong and the command that fixes it.
/// </summary>
internal sealed class StepwiseStartup(StepwiseDatabase database, ILoggerFactory loggerFactory, IServiceProvider services) : IHostedLifecycleService, IAsyncDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Stepwise.Hosting");
    private InstanceHeartbeat? _heartbeat;

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        var options = database.Options;
        if (options.RegisterInstance && (options.HeartbeatInterval <= TimeSpan.Zero || options.HeartbeatInterval >= options.InstanceTimeout))
        {
            throw Refuse($"refusing to start: {StepwiseOptions.SectionName}:{nameof(StepwiseOptions.HeartbeatInterval)} is {options.HeartbeatInterval} and {nameof(StepwiseOptions.InstanceTimeout)} is {options.InstanceTimeout}: the heartbeat must come more often than the timeout (e.g. 5s and 30s)",
                ["heartbeat interval not below the instance timeout"]);
        }
        if (options.Mode == StepwiseStartupMode.None)
        {
            return; // nothing at start-up: not registered either (a bound data source still finds its version when first used)
        }
        await GateAsync(options.Mode, cancellationToken);
        await BindAsync(cancellationToken);
    }

    /// <summary>
    /// Finds the application's version (its connections use it from now on) and registers this instance with it,
    /// so that <c>stepwise complete</c> waits while it runs.
    /// </summary>
    private async Task BindAsync(CancellationToken cancellationToken)
    {
        VersionBinding binding;
        try
        {
            binding = await database.BindAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            var reason = DatabaseTarget.Redact(ex.Message);
            throw Refuse($"refusing to start: cannot find this application's schema version in {database.DisplayName}: {reason}", [reason], ex);
        }
        _logger.LogInformation(HostingEventIds.Bound, "connections use {Binding}", binding.ToString());
        if (binding.VersionSchema is not null && database.Options.Binding != BindingMode.None && services.GetService<UnboundDataSource>() is null
            && services.GetService<NpgsqlDataSource>() is { } unbound && !IsBound(unbound.ConnectionString, binding))
        {
            _logger.LogWarning(HostingEventIds.Bound, "the NpgsqlDataSource in the service provider does not use {Binding}: register it before AddStepwise (or with AddStepwiseDataSource), or apply VersionBinding to the data source you build",
                binding.ToString());
        }
        if (!database.Options.RegisterInstance)
        {
            return;
        }
        var heartbeat = new InstanceHeartbeat(database, _logger);
        try
        {
            await heartbeat.StartAsync(binding, cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            var reason = DatabaseTarget.Redact(ex.Message);
            await heartbeat.DisposeAsync();
            throw Refuse($"refusing to start: cannot register this instance in {database.Options.StateSchema}.instances ({reason}), so stepwise complete could not wait for it: grant the application's role INSERT, UPDATE, DELETE on {database.Options.StateSchema}.instances (stepwise apply creates it), or set {StepwiseOptions.SectionName}:{nameof(StepwiseOptions.RegisterInstance)} to false",
                [reason], ex);
        }
        _heartbeat = heartbeat;
        _logger.LogInformation(HostingEventIds.Heartbeat, "registered this instance ({Application}, version {Version}) in {Schema}.instances; heartbeat every {Interval}",
            heartbeat.Registration!.ApplicationName, binding.Migration.Length == 0 ? "(none)" : binding.Migration, database.Options.StateSchema, database.Options.HeartbeatInterval);
    }

    private static bool IsBound(string connectionString, VersionBinding binding)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return binding.Role is { } role ? builder.Username == role : builder.SearchPath == binding.SearchPath;
    }

    /// <summary>The start-up gate: refuses (throws) unless the database is ready for this application.</summary>
    private async Task GateAsync(StepwiseStartupMode mode, CancellationToken cancellationToken)
    {
        if (mode == StepwiseStartupMode.Apply)
        {
            await ApplyAsync(cancellationToken);
        }
        SchemaCheckResult check;
        try
        {
            check = await database.CheckAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            var reason = DatabaseTarget.Redact(ex.Message);
            throw Refuse($"refusing to start: cannot read the migration state of {database.DisplayName}: {reason}", [reason], ex);
        }
        if (!check.Ready)
        {
            throw Refuse($"refusing to start: the database is not ready for this application: {string.Join("; ", check.Problems)}. Fix: {database.ApplyCommand()}",
                check.Problems);
        }
        _logger.LogInformation(HostingEventIds.SchemaReady, "the database is up to date (version {Version}) for this application's migrations in {Directory}{Ahead}",
            check.Status.CurrentVersion, database.Options.Directory,
            check.Ahead.Count == 0 ? "" : $"; a newer release applied {string.Join(", ", check.Ahead)}");
    }

    /// <summary>
    /// Applies what is pending. The migrator holds the migration lock and reads history only once it has it,
    /// so of many instances starting together one applies each migration and the others find it done.
    /// </summary>
    private async Task ApplyAsync(CancellationToken cancellationToken)
    {
        var options = database.MigratorOptions(loggerFactory.CreateLogger("Stepwise"));
        _logger.LogInformation(HostingEventIds.Applying, "applying pending migrations from {Directory}", database.Options.Directory);
        MigrationResult result;
        try
        {
            result = await new Migrator(options).ApplyAsync(new ApplyRequest(), cancellationToken);
        }
        catch (MigrationRefusedException ex)
        {
            var problems = ex.Problems.Select(p => p.ToString()).DefaultIfEmpty(ex.Message).ToList();
            throw Refuse($"refusing to start: {ex.Message}: {string.Join("; ", problems)}", problems, ex);
        }
        catch (MigrationFailedException ex)
        {
            var where = ex.Line > 0 ? $"{ex.File}:{ex.Line}:{ex.Column}" : ex.File;
            throw Refuse($"refusing to start: migration {where} failed: {ex.Message}; {ex.NextStep}", [$"{where}: {ex.Message}"], ex);
        }
        // One list, as apply reports it: every run (a SQL migration's up section, an operation migration's phase) in order.
        _logger.LogInformation(HostingEventIds.Applied, "{Count} run(s) applied{Runs}", result.Runs.Count,
            result.Runs.Count == 0 ? " (another instance applied them, or none was pending)"
                : ": " + string.Join(", ", result.Runs.Select(r => $"{r.Migration.FileName} {r.PhaseName}"
                    + (r.Section is null && r.Phase == Planning.PlanPhase.Start ? " (run stepwise complete once every instance runs the new code)" : ""))));
    }

    private SchemaNotReadyException Refuse(string message, IReadOnlyList<string> problems, Exception? cause = null)
    {
        // One line: log collectors keep it whole, and it says everything needed to fix the deploy.
        _logger.LogError(HostingEventIds.StartupRefused, "{Message}", message);
        return new SchemaNotReadyException(message, problems, cause);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Once every hosted service (the web server among them) has stopped: the instance is no longer running.</summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (_heartbeat is { } heartbeat)
        {
            await heartbeat.StopAsync(cancellationToken);
            _logger.LogInformation(HostingEventIds.Heartbeat, "removed this instance from {Schema}.instances", database.Options.StateSchema);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_heartbeat is { } heartbeat)
        {
            await heartbeat.DisposeAsync();
        }
    }
}
