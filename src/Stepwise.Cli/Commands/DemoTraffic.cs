using System.Diagnostics;
using Npgsql;
using Stepwise.Connections;

namespace Stepwise.Cli.Commands;

/// <summary>
/// The demo's simulated application of the old version: one session inserting runs without
/// organization_id and one reading recent runs of a workflow, each recording every transaction's latency
/// and error, and the longest time without any completed transaction.
/// </summary>
internal sealed class DemoTraffic : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _clients = [];
    private readonly Lock _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<double> _latencies = [];
    private readonly List<string> _errors = [];
    private double _lastCompleted;
    private double _longestGap;
    private long _writes;
    private long _reads;

    private DemoTraffic()
    {
    }

    /// <summary>Starts an old-version writer and a reader against <paramref name="connectionString"/>.</summary>
    public static DemoTraffic Start(string connectionString, int workflows)
    {
        var traffic = new DemoTraffic();
        traffic._clients.Add(Task.Run(() => traffic.RunAsync(connectionString, "old-app-writer",
            "INSERT INTO workflow_runs (workflow_id, state) VALUES ($1, 'queued')", workflows, write: true)));
        traffic._clients.Add(Task.Run(() => traffic.RunAsync(connectionString, "old-app-reader",
            "SELECT id, state FROM workflow_runs WHERE workflow_id = $1 ORDER BY id DESC LIMIT 20", workflows, write: false)));
        return traffic;
    }

    /// <summary>What the clients saw since the last call (and resets the window).</summary>
    public TrafficWindow Take()
    {
        lock (_gate)
        {
            var sorted = _latencies.Order().ToList();
            var window = new TrafficWindow(_writes, _reads, _errors.Count, _errors.Distinct().Take(3).ToList(),
                sorted.Count == 0 ? 0 : sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(sorted.Count * 0.99) - 1)],
                sorted.Count == 0 ? 0 : sorted[^1], Math.Max(_longestGap, _clock.Elapsed.TotalMilliseconds - _lastCompleted));
            _latencies.Clear();
            _errors.Clear();
            _writes = _reads = 0;
            _longestGap = 0;
            return window;
        }
    }

    /// <summary>Stops both clients (the old version is gone everywhere) and waits for them.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task RunAsync(string connectionString, string name, string sql, int workflows, bool write)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = name, Pooling = false };
        await using var connection = DataSources.Connection(builder.ConnectionString);
        await connection.OpenAsync();
        while (!_stop.IsCancellationRequested)
        {
            var started = _clock.Elapsed.TotalMilliseconds;
            try
            {
                await using var command = new NpgsqlCommand(sql, connection);
                command.Parameters.AddWithValue((long)Random.Shared.Next(1, workflows + 1));
                await command.ExecuteNonQueryAsync();
                Record(started, null, write);
            }
            catch (PostgresException ex)
            {
                Record(started, $"{name}: {ex.SqlState}: {ex.MessageText}", write);
            }
            catch (NpgsqlException ex)
            {
                Record(started, $"{name}: {ex.Message}", write); // e.g. the command timeout behind a long lock: a failed transaction too
            }
            await Task.Delay(write ? 3 : 5);
        }
    }

    private void Record(double started, string? error, bool write)
    {
        var now = _clock.Elapsed.TotalMilliseconds;
        lock (_gate)
        {
            _latencies.Add(now - started);
            if (error is not null)
            {
                _errors.Add(error);
                return;
            }
            // A gap: time with no completed transaction, measured from the previous completion (or since a long wait began).
            _longestGap = Math.Max(_longestGap, now - Math.Max(_lastCompleted, 0));
            _lastCompleted = now;
            if (write)
            {
                _writes++;
            }
            else
            {
                _reads++;
            }
        }
    }
}

/// <summary>What the simulated clients saw in a window.</summary>
/// <param name="Writes">Committed inserts.</param>
/// <param name="Reads">Completed reads.</param>
/// <param name="Failed">Failed transactions.</param>
/// <param name="Errors">The first distinct errors.</param>
/// <param name="P99Ms">99th percentile latency.</param>
/// <param name="MaxMs">The longest a client waited.</param>
/// <param name="LongestGapMs">The longest time without any completed transaction.</param>
internal sealed record TrafficWindow(long Writes, long Reads, int Failed, IReadOnlyList<string> Errors, double P99Ms, double MaxMs, double LongestGapMs);
