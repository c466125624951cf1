using Microsoft.Extensions.Logging;
using Npgsql;
using Stepwise.Connections;
using Stepwise.Instances;

namespace Stepwise.Hosting;

/// <summary>
/// This instance in the state schema's registry: registered once start-up has found the application's version, a
/// heartbeat every <see cref="StepwiseOptions.HeartbeatInterval"/> (which re-registers it if its row went away), and
/// removed when the host has stopped. <c>stepwise complete</c> counts it as alive until its timeout passes after the
/// last heartbeat, so a killed process blocks a complete for at most that long.
/// </summary>
internal sealed class InstanceHeartbeat(StepwiseDatabase database, ILogger logger) : IAsyncDisposable
{
    private readonly Guid _id = Guid.NewGuid();
    private readonly CancellationTokenSource _stop = new();
    private InstanceRegistration? _registration;
    private Task? _loop;

    /// <summary>This instance's registration, once registered.</summary>
    public InstanceRegistration? Registration => _registration;

    /// <summary>Registers the instance and starts its heartbeat.</summary>
    /// <exception cref="NpgsqlException">The registry could not be written (e.g. the role may not).</exception>
    public async Task StartAsync(VersionBinding binding, CancellationToken cancellationToken)
    {
        var options = database.Options;
        var registration = new InstanceRegistration
        {
            Version = binding.Version,
            Migration = binding.Migration,
            VersionSchema = binding.VersionSchema,
            Timeout = options.InstanceTimeout,
        };
        if (options.ApplicationName is { Length: > 0 } name)
        {
            registration = registration with { ApplicationName = name };
        }
        await Registry().HeartbeatAsync(_id, registration, cancellationToken);
        _registration = registration;
        _loop = BeatAsync(registration, options.HeartbeatInterval, _stop.Token);
    }

    private InstanceRegistry Registry() => new(database.ConnectionString, database.Options.StateSchema);

    private async Task BeatAsync(InstanceRegistration registration, TimeSpan interval, CancellationToken stop)
    {
        var failing = false;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stop);
                await Registry().HeartbeatAsync(_id, registration, stop);
                if (failing)
                {
                    logger.LogInformation(HostingEventIds.Heartbeat, "the instance heartbeat is written again");
                    failing = false;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                if (!failing)
                {
                    // Once per outage: after the timeout, stepwise complete no longer counts this instance.
                    logger.LogWarning(HostingEventIds.Heartbeat, "the instance heartbeat could not be written ({Reason}); after {Timeout} without one, stepwise complete stops counting this instance",
                        DatabaseTarget.Redact(ex.Message), registration.Timeout);
                    failing = true;
                }
            }
        }
    }

    /// <summary>Stops the heartbeat and removes the registration (a failure is logged: the row then expires on its own).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_loop is null)
        {
            return;
        }
        await _stop.CancelAsync();
        await _loop;
        _loop = null;
        try
        {
            await Registry().RemoveAsync(_id, cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            logger.LogWarning(HostingEventIds.Heartbeat, "the instance could not remove its registration ({Reason}); it expires {Timeout} after its last heartbeat",
                DatabaseTarget.Redact(ex.Message), _registration?.Timeout);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _stop.Dispose();
    }
}
