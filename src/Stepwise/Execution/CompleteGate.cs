using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using Stepwise.Instances;

namespace Stepwise.Execution;

/// <summary>
/// No contract while old code runs: <c>complete</c> of a migration goes ahead only once no instance of an older
/// version (registered, or a session matching a client pattern) is alive. Otherwise it refuses naming them, waits for
/// them to go (<see cref="InstanceOptions.Wait"/>, a progress line every 5 s, a deadline), or with
/// <see cref="InstanceOptions.Force"/> goes ahead and names them in a warning.
/// </summary>
internal static class CompleteGate
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(5);

    /// <summary>The live instances older than <paramref name="version"/>.</summary>
    public static async Task<IReadOnlyList<Instance>> OlderAsync(NpgsqlConnection connection, string stateSchema, long version, InstanceOptions options,
        CancellationToken cancellationToken) =>
        [.. (await InstanceRegistry.ReadLiveAsync(connection, stateSchema, [.. options.Clients], cancellationToken)).Where(i => i.IsOlderThan(version))];

    /// <summary>Returns once complete of <paramref name="file"/> (version <paramref name="version"/>) may run; throws when it may not.</summary>
    /// <exception cref="MigrationRefusedException">Instances of an older version are alive (past the wait's deadline, when waiting).</exception>
    public static async Task PassAsync(NpgsqlConnection connection, string stateSchema, long version, string file, InstanceOptions options, ILogger logger,
        CancellationToken cancellationToken)
    {
        var older = await OlderAsync(connection, stateSchema, version, options, cancellationToken);
        if (older.Count == 0)
        {
            return;
        }
        if (options.Force)
        {
            logger.LogWarning(EventIds.InstancesIgnored, "completing {File} with --force although {Count} instance(s) of an older version are alive: {Instances}; their queries of what complete removes will fail",
                file, older.Count, Names(older));
            return;
        }
        if (options.Wait is not { } wait)
        {
            throw Refused(file, older, "stop them (finish the rollout), or wait for them with --wait 10min, or complete anyway with --force");
        }
        var clock = Stopwatch.StartNew();
        TimeSpan? reported = null;
        while (older.Count > 0)
        {
            var left = wait - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw Refused(file, older, $"still alive after waiting {Seconds(wait)}: stop them, wait longer (--wait), or complete anyway with --force");
            }
            if (reported is null || clock.Elapsed - reported >= ProgressEvery)
            {
                reported = clock.Elapsed;
                logger.LogInformation(EventIds.WaitingForInstances, "waiting for {Count} instance(s) of an older version to stop before completing {File} ({Left} left): {Instances}",
                    older.Count, file, Seconds(left), Names(older));
            }
            await Task.Delay(left < Poll ? left : Poll, cancellationToken);
            older = await OlderAsync(connection, stateSchema, version, options, cancellationToken);
        }
        logger.LogInformation(EventIds.WaitingForInstances, "no instance of an older version is left after {Waited}: completing {File}", Seconds(clock.Elapsed), file);
    }

    private static MigrationRefusedException Refused(string file, IReadOnlyList<Instance> older, string what) =>
        new($"complete of {file} refused: {older.Count} instance(s) of an older version are still running ({Names(older)}); {what}");

    private static string Seconds(TimeSpan t) => $"{Math.Ceiling(t.TotalSeconds):0}s";

    private static string Names(IReadOnlyList<Instance> instances) => string.Join("; ", instances.Select(i => i.ToString()));
}
