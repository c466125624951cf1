using Npgsql;

namespace Stepwise.Execution;

/// <summary>
/// While a migration statement runs, looks (on the lock connection) for the sessions blocking it,
/// so that when it hits lock_timeout the log can say who was in the way: once the statement has
/// given up, <c>pg_blocking_pids</c> no longer knows.
/// </summary>
internal sealed class BlockingSessions : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watch;
    private string? _last;

    private BlockingSessions(NpgsqlConnection observer, int blockedPid, TimeSpan interval)
    {
        _watch = Task.Run(() => WatchAsync(observer, blockedPid, interval, _stop.Token));
    }

    /// <summary>The blockers seen last, described for a log line; null when none were seen.</summary>
    public string? Last => Volatile.Read(ref _last);

    public static BlockingSessions Watch(NpgsqlConnection observer, int blockedPid, TimeSpan lockTimeout)
    {
        var interval = TimeSpan.FromMilliseconds(Math.Clamp(lockTimeout.TotalMilliseconds / 2, 50, 5000));
        return new BlockingSessions(observer, blockedPid, interval);
    }

    private async Task WatchAsync(NpgsqlConnection observer, int blockedPid, TimeSpan interval, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(interval, cancellationToken);
                var found = await DescribeAsync(observer, blockedPid, cancellationToken);
                if (found is not null)
                {
                    Volatile.Write(ref _last, found);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (NpgsqlException)
        {
            // Diagnostics only: a failure here must never fail the migration.
        }
    }

    internal static async Task<string?> DescribeAsync(NpgsqlConnection observer, int blockedPid, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''), a.xact_start, left(coalesce(a.query, ''), 200)
            FROM pg_stat_activity a
            WHERE a.pid = ANY (pg_blocking_pids($1))
            ORDER BY a.xact_start NULLS LAST
            """, observer);
        command.Parameters.AddWithValue(blockedPid);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var blockers = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var since = reader.IsDBNull(3) ? "" : $", transaction open since {reader.GetFieldValue<DateTimeOffset>(3):HH:mm:ss}";
            var query = reader.GetString(4).ReplaceLineEndings(" ");
            blockers.Add($"pid {reader.GetInt32(0)} (application '{reader.GetString(1)}', {reader.GetString(2)}{since}, query: {query})");
        }
        return blockers.Count == 0 ? null : string.Join("; ", blockers);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watch;
        _stop.Dispose();
    }
}
