using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Stepwise.Execution.Backfill;

/// <summary>
/// What happens between two batches of a backfill: its progress written to the state schema (for <c>status</c> and
/// other processes), the operator's live settings read (<c>stepwise backfill pause|resume|set</c>), and the waits:
/// the pause, yielding to the application's latency, the row and WAL rate limits, and holding while a throttle's
/// condition holds (paused, replica lag, a vacuum on the table, WAL written by others, an old snapshot). The look at
/// the database after a batch travels with the batch (<see cref="AddProbe"/>, <see cref="ReadProbeAsync"/>): one round
/// trip per batch when nothing holds.
/// </summary>
internal sealed class BackfillPacer
{
    private readonly NpgsqlConnection _connection;
    private readonly HistoryStore _history;
    private readonly BackfillOptions _options;
    private readonly ILogger _logger;
    private readonly string _table;
    private readonly string _name;
    private readonly long _version;
    private readonly int _step;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Probe? _last, _previous;
    private Probe? _withBatch;
    private TimeSpan _yield;
    private string? _waiting;
    private TimeSpan _waitingSince;

    /// <summary>The reason <see cref="Holding"/> gives while an operator has paused backfills.</summary>
    internal const string Paused = "paused by an operator (stepwise backfill resume goes on)";

    public BackfillPacer(NpgsqlConnection connection, HistoryStore history, BackfillOptions options, ILogger logger, string table, string name, long version, int step)
    {
        (_connection, _history, _options, _logger, _table, _name, _version, _step) = (connection, history, options, logger, table, name, version, step);
        BatchTarget = options.TargetBatchDuration;
    }

    /// <summary>The batch duration to aim at: the option, or what an operator set.</summary>
    public TimeSpan BatchTarget { get; private set; }

    /// <summary>What the state schema's control row said at the last look.</summary>
    private sealed record Control(bool Paused, TimeSpan? BatchTarget, TimeSpan? Pause, int? MaxRowsPerSecond);

    /// <summary>One look at the database between batches.</summary>
    private sealed record Probe(TimeSpan At, Control Control, TimeSpan ReplicaLag, string? Vacuum, double WalBytes, TimeSpan SnapshotAge, int? SnapshotPid);

    /// <summary>Before the first batch: waits while anything holds the backfill.</summary>
    public async Task BeforeFirstBatchAsync(BackfillProgress progress, CancellationToken cancellationToken)
    {
        var probe = await ProbeAsync(progress, cancellationToken);
        await HoldAsync(probe, progress, sinceLast: null, cancellationToken);
    }

    /// <summary>
    /// The look at the database, as the last statement of a batch (before its commit, after its update: a setting an
    /// operator committed while the update ran is seen, as it would be by a look after the batch).
    /// </summary>
    public void AddProbe(NpgsqlBatch batch)
    {
        var read = new NpgsqlBatchCommand(ProbeSql);
        read.Parameters.AddWithValue(_table);
        batch.BatchCommands.Add(read);
    }

    /// <summary>Reads the result of <see cref="AddProbe"/>'s statement, the reader standing on the result before it.</summary>
    public async Task ReadProbeAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        if (!await reader.NextResultAsync(cancellationToken))
        {
            throw new InvalidOperationException("the backfill batch returned no health probe");
        }
        _withBatch = await ReadProbeRowAsync(reader, cancellationToken);
    }

    /// <summary>After a batch that updated <paramref name="rows"/> rows in <paramref name="batch"/>: returns when the next batch may start.</summary>
    public async Task BetweenBatchesAsync(BackfillProgress progress, long rows, TimeSpan batch, CancellationToken cancellationToken)
    {
        var probe = _withBatch ?? await ProbeAsync(progress, cancellationToken);
        _withBatch = null;
        var before = _previous;
        if (_options.ClientLatency is { } latency)
        {
            _yield = Yield(await latency(cancellationToken), batch);
        }
        else if (_options.ClientLatencyQuery is { } query)
        {
            _yield = Yield(await LatencyFromQueryAsync(query, cancellationToken), batch);
        }
        var wait = probe.Control.Pause ?? _options.Pause;
        wait = Longer(wait, _yield);
        // The rate limits: the batch's rows (and the WAL the server wrote meanwhile) spread over at least rows / limit.
        var sinceBatchStart = before is null ? batch : probe.At - before.At;
        if ((probe.Control.MaxRowsPerSecond ?? _options.MaxRowsPerSecond) is { } maxRows and > 0)
        {
            wait = Longer(wait, TimeSpan.FromSeconds(rows / (double)maxRows) - sinceBatchStart);
        }
        if (_options.MaxWalBytesPerSecond is { } maxWal and > 0 && before is not null)
        {
            // The server's WAL, not only the batch's: capped, as others' writes are then held back against their current rate below.
            var spread = TimeSpan.FromSeconds((probe.WalBytes - before.WalBytes) / maxWal) - sinceBatchStart;
            wait = Longer(wait, spread < _options.MaxYieldPause ? spread : _options.MaxYieldPause);
        }
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken);
            var afterWait = await ProbeAsync(progress, cancellationToken);
            await HoldAsync(afterWait, progress, probe, cancellationToken);
        }
        else
        {
            await HoldAsync(probe, progress, sinceLast: null, cancellationToken);
        }
    }

    /// <summary>After the last batch: the progress row says done.</summary>
    public Task FinishAsync(BackfillProgress progress, CancellationToken cancellationToken) => ProbeAsync(progress, cancellationToken, "done");

    private static TimeSpan Longer(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Waits while a condition holds the backfill; <paramref name="sinceLast"/> is the probe before <paramref name="probe"/> when no batch ran between them (so WAL between them is other sessions').</summary>
    private async Task HoldAsync(Probe probe, BackfillProgress progress, Probe? sinceLast, CancellationToken cancellationToken)
    {
        while (Holding(probe, sinceLast) is { } reason)
        {
            if (reason != _waiting)
            {
                _waitingSince = _waiting is null ? _clock.Elapsed : _waitingSince;
                _waiting = reason;
                _logger.LogInformation(EventIds.BackfillWaiting, "backfill {Table} waits: {Reason}", _name, reason);
                _options.OnProgress?.Invoke(progress with { Waiting = reason });
            }
            await Task.Delay(_options.PollInterval, cancellationToken);
            sinceLast = probe;
            probe = await ProbeAsync(progress with { Waiting = reason }, cancellationToken);
        }
        if (_waiting is not null)
        {
            _logger.LogInformation(EventIds.BackfillWaiting, "backfill {Table} goes on after {Seconds:0} s ({Reason})", _name, (_clock.Elapsed - _waitingSince).TotalSeconds,
                _waiting == Paused ? "it was paused" : "it waited: " + _waiting);
            _waiting = null;
            _options.OnProgress?.Invoke(progress);
        }
    }

    /// <summary>Why the backfill must wait now, or null.</summary>
    private string? Holding(Probe probe, Probe? sinceLast)
    {
        if (probe.Control.Paused)
        {
            return Paused;
        }
        if (_options.MaxReplicationLag is { } lag && probe.ReplicaLag > lag)
        {
            return $"replica replay lag {Ms(probe.ReplicaLag)} is above {Ms(lag)}";
        }
        if (_options.WaitWhileVacuumed && probe.Vacuum is { } vacuum)
        {
            return $"{(vacuum.StartsWith("autovacuum", StringComparison.Ordinal) ? "autovacuum" : "a VACUUM")} works on {_name}";
        }
        if (_options.MaxSnapshotAge is { } age && probe.SnapshotAge > age)
        {
            return $"the transaction of pid {probe.SnapshotPid} has held its snapshot for {probe.SnapshotAge.TotalSeconds:0} s (limit {age.TotalSeconds:0} s): rows the backfill replaces could not be vacuumed";
        }
        if (_options.MaxWalBytesPerSecond is { } maxWal && sinceLast is not null && probe.At > sinceLast.At)
        {
            var rate = (probe.WalBytes - sinceLast.WalBytes) / (probe.At - sinceLast.At).TotalSeconds;
            if (rate > maxWal)
            {
                return $"the server writes {rate / 1e6:0.0} MB of WAL per second (limit {maxWal / 1e6:0.0} MB/s)";
            }
        }
        return null;
    }

    private static string Ms(TimeSpan t) => $"{(long)t.TotalMilliseconds} ms";

    /// <summary>Writes the progress row and reads the control row and the database's health, in one round trip.</summary>
    private async Task<Probe> ProbeAsync(BackfillProgress progress, CancellationToken cancellationToken, string? state = null)
    {
        await using var batch = new NpgsqlBatch(_connection);
        var write = new NpgsqlBatchCommand($"""
            UPDATE {_history.Backfills} SET table_name = $3, visited = $4, total = $5, rows_per_second = $6, eta_seconds = $7, state = $8, updated_at = clock_timestamp()
            WHERE version = $1 AND step = $2
            """);
        write.Parameters.AddWithValue(_version);
        write.Parameters.AddWithValue(_step);
        write.Parameters.AddWithValue(_name);
        write.Parameters.AddWithValue(progress.RowsVisited);
        write.Parameters.AddWithValue(progress.Total);
        write.Parameters.AddWithValue(progress.RowsPerSecond);
        write.Parameters.AddWithValue(progress.Remaining is { } left ? left.TotalSeconds : DBNull.Value);
        write.Parameters.AddWithValue(state ?? (progress.Waiting is { } waiting ? "waiting: " + waiting : "running"));
        batch.BatchCommands.Add(write);
        AddProbe(batch);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (reader.FieldCount == 0 && await reader.NextResultAsync(cancellationToken))
        {
            // the progress update's (empty) result
        }
        return await ReadProbeRowAsync(reader, cancellationToken);
    }

    /// <summary>
    /// The control row and the database's health. The WAL position is where WAL is inserted, so that a batch's own WAL,
    /// read before its commit, is counted with it.
    /// </summary>
    private string ProbeSql => $"""
        SELECT c.paused, c.batch_target_ms, c.pause_ms, c.max_rows_per_second,
            (SELECT coalesce(max(extract(epoch FROM r.replay_lag)), 0)::float8 FROM pg_stat_replication r),
            (SELECT a.backend_type FROM pg_stat_progress_vacuum v JOIN pg_stat_activity a ON a.pid = v.pid WHERE v.relid = $1::regclass LIMIT 1),
            (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::float8,
            s.age, s.pid
        FROM {_history.BackfillControl} c
        LEFT JOIN LATERAL (
            SELECT extract(epoch FROM clock_timestamp() - a.xact_start)::float8 AS age, a.pid FROM pg_stat_activity a
            WHERE a.backend_xmin IS NOT NULL AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend' AND a.datname = current_database()
            ORDER BY a.xact_start LIMIT 1
        ) s ON true
        WHERE c.id = 1
        """;

    private async Task<Probe> ReadProbeRowAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException($"the backfill control row of {_history.BackfillControl} is missing; the state schema was changed by hand");
        }
        var control = new Control(reader.GetBoolean(0), Millis(reader, 1), Millis(reader, 2), reader.IsDBNull(3) ? null : reader.GetInt32(3));
        var probe = new Probe(_clock.Elapsed, control, TimeSpan.FromSeconds(reader.GetDouble(4)), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetDouble(6),
            reader.IsDBNull(7) ? TimeSpan.Zero : TimeSpan.FromSeconds(reader.GetDouble(7)), reader.IsDBNull(8) ? null : reader.GetInt32(8));
        (_previous, _last) = (_last, probe);
        BatchTarget = probe.Control.BatchTarget ?? _options.TargetBatchDuration;
        return probe;
    }

    private static TimeSpan? Millis(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : TimeSpan.FromMilliseconds(reader.GetInt32(ordinal));

    /// <summary>
    /// Backs off while the application's latency is above the target: the pause between batches doubles (starting at
    /// the last batch's duration); below the target it halves until it is gone.
    /// </summary>
    private TimeSpan Yield(TimeSpan latency, TimeSpan batch)
    {
        var pause = _yield;
        if (latency > _options.TargetClientLatency)
        {
            var longer = pause > TimeSpan.Zero ? pause * 2 : batch;
            if (pause == TimeSpan.Zero)
            {
                _logger.LogInformation(EventIds.BackfillProgress, "backfill yielding: client latency {Latency} ms is above {Target} ms",
                    (long)latency.TotalMilliseconds, (long)_options.TargetClientLatency.TotalMilliseconds);
            }
            return longer < _options.MaxYieldPause ? longer : _options.MaxYieldPause;
        }
        var shorter = pause / 2;
        return shorter < TimeSpan.FromMilliseconds(5) ? TimeSpan.Zero : shorter;
    }

    /// <summary>Runs the user's latency query: one number of milliseconds, or an interval.</summary>
    private async Task<TimeSpan> LatencyFromQueryAsync(string query, CancellationToken cancellationToken)
    {
        object? value;
        try
        {
            await using var command = new NpgsqlCommand(query, _connection);
            value = await command.ExecuteScalarAsync(cancellationToken);
        }
        catch (PostgresException ex)
        {
            throw new MigrationRefusedException($"the client latency query failed: {ex.MessageText} ({ex.SqlState}); fix the query (--latency-query) or leave it out");
        }
        return value switch
        {
            TimeSpan interval => interval,
            null or DBNull => TimeSpan.Zero, // no traffic measured: nothing to yield to
            double or float or decimal or int or long or short => TimeSpan.FromMilliseconds(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            _ => throw new MigrationRefusedException($"the client latency query returned a {value.GetType().Name}; it must return one number of milliseconds or an interval"),
        };
    }
}
