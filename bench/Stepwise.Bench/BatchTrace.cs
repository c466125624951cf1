using System.Globalization;
using Npgsql;
using Stepwise.Execution.Backfill;

namespace Stepwise.Bench;

/// <summary>
/// BENCH_BACKFILL_TRACE=1: what the server did during each backfill batch, read from a second connection after each
/// one (outside the batch's measured time): WAL written (the insert position moved), full-page images (pg_stat_wal),
/// checkpoints finished and buffers the checkpointer and backends wrote (pg_stat_bgwriter), pages the table grew by
/// (relation extension). The cumulative statistics reach those views up to a second late (a backend reports them when
/// idle), so they are only telling over several batches. At the end, the slowest batches beside the average one, on
/// standard error.
/// </summary>
internal sealed class BatchTrace : IAsyncDisposable
{
    private sealed record Counters(double WalBytes, long Fpi, long Checkpoints, long CheckpointBuffers, long BackendBuffers, long Pages, long Vacuums = 0);

    private sealed record Row(double Ms, long Rows, Counters Delta);

    private readonly NpgsqlConnection _connection;
    private readonly List<Row> _rows = [];
    private Counters _last;
    private long _rowsDone;

    private BatchTrace(NpgsqlConnection connection, Counters first) => (_connection, _last) = (connection, first);

    /// <summary>The server settings the trace needs (pg_stat_statements, with planning times).</summary>
    public static void Configure(IDictionary<string, string> settings)
    {
        settings["shared_preload_libraries"] = "pg_stat_statements";
        settings["pg_stat_statements.track_planning"] = "on";
    }

    public static async Task<BatchTrace> StartAsync(string connectionString)
    {
        var connection = await ReferenceData.OpenAsync(connectionString, "bench-trace");
        await ReferenceData.ExecuteAsync(connection, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()");
        return new BatchTrace(connection, await ReadAsync(connection));
    }

    private static async Task<Counters> ReadAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("""
            SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::float8, w.wal_fpi, b.checkpoints_timed + b.checkpoints_req, b.buffers_checkpoint, b.buffers_backend,
                   pg_relation_size('workflow_runs') / 8192,
                   (SELECT count(*) FROM pg_stat_progress_vacuum v WHERE v.relid = 'workflow_runs'::regclass)
            FROM pg_stat_wal w, pg_stat_bgwriter b
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new Counters(reader.GetDouble(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6));
    }

    /// <summary>After a batch of <paramref name="ms"/> ms (synchronously: the progress callback is).</summary>
    public void Batch(double ms, BackfillProgress progress)
    {
        var now = ReadAsync(_connection).GetAwaiter().GetResult();
        _rows.Add(new Row(ms, progress.RowsDone - _rowsDone, new Counters(now.WalBytes - _last.WalBytes, now.Fpi - _last.Fpi, now.Checkpoints - _last.Checkpoints,
            now.CheckpointBuffers - _last.CheckpointBuffers, now.BackendBuffers - _last.BackendBuffers, now.Pages - _last.Pages, now.Vacuums)));
        (_last, _rowsDone) = (now, progress.RowsDone);
    }

    public async ValueTask DisposeAsync()
    {
        await PrintStatementsAsync();
        await _connection.DisposeAsync();
        if (_rows.Count == 0)
        {
            return;
        }
        var line = (string what, Row r) => string.Create(CultureInfo.InvariantCulture,
            $"  {what,-10} {r.Ms,7:0} ms {r.Rows,8:0} rows {r.Rows / Math.Max(r.Ms, 1):0.0} rows/ms  WAL {r.Delta.WalBytes / 1e6,6:0.0} MB  FPI {r.Delta.Fpi,6}  checkpoints {r.Delta.Checkpoints}  " +
            $"written by checkpointer {r.Delta.CheckpointBuffers,6} / by backends {r.Delta.BackendBuffers,6}  table +{r.Delta.Pages} pages  vacuum on it {r.Delta.Vacuums}");
        var n = _rows.Count;
        var average = new Row(_rows.Average(r => r.Ms), (long)_rows.Average(r => r.Rows), new Counters(_rows.Average(r => r.Delta.WalBytes), (long)_rows.Average(r => r.Delta.Fpi),
            _rows.Sum(r => r.Delta.Checkpoints), (long)_rows.Average(r => r.Delta.CheckpointBuffers), (long)_rows.Average(r => r.Delta.BackendBuffers), (long)_rows.Average(r => r.Delta.Pages),
            _rows.Sum(r => r.Delta.Vacuums)));
        Console.Error.WriteLine($"batch trace ({n} batches; checkpoints and vacuum (batches after which a vacuum worked on the table) are totals for 'average'):");
        Console.Error.WriteLine(line("average", average));
        foreach (var (row, i) in _rows.Select((r, i) => (r, i)).OrderByDescending(x => x.r.Ms).Take(8))
        {
            Console.Error.WriteLine(line($"#{i + 1}", row));
        }
    }

    /// <summary>
    /// What each statement of the run cost the server (pg_stat_statements, this database, the trace's own left out): calls,
    /// execution and planning time, buffers and WAL per call; buffers and WAL do not depend on the machine's load.
    /// </summary>
    private async Task PrintStatementsAsync()
    {
        await using var command = new NpgsqlCommand("""
            SELECT calls, total_exec_time, total_plan_time, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied, shared_blks_written, wal_bytes::float8,
                   regexp_replace(query, '\s+', ' ', 'g')
            FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE '%pg_stat_bgwriter%' AND query NOT LIKE '%CREATE EXTENSION%'
            ORDER BY total_exec_time DESC LIMIT 6
            """, _connection);
        await using var reader = await command.ExecuteReaderAsync();
        Console.Error.WriteLine("statements (pg_stat_statements): calls, exec ms total / per call, plan ms per call, rows, shared buffers hit / read / dirtied / written per call, WAL MB per call");
        while (await reader.ReadAsync())
        {
            var calls = Math.Max(reader.GetInt64(0), 1);
            var text = reader.GetString(9);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {calls,6} {reader.GetDouble(1),9:0} / {reader.GetDouble(1) / calls,8:0.00} plan {reader.GetDouble(2) / calls,6:0.00} rows {reader.GetInt64(3),9} " +
                $"buffers {reader.GetInt64(4) / calls,8} / {reader.GetInt64(5) / calls,7} / {reader.GetInt64(6) / calls,7} / {reader.GetInt64(7) / calls,7} WAL {reader.GetDouble(8) / calls / 1e6,7:0.00}  {text[..Math.Min(text.Length, 90)]}"));
        }
    }
}
