using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;
using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Execution.Backfill;

/// <summary>
/// Runs a <see cref="BackfillSpec"/>: <c>UPDATE</c> in batches, one transaction per batch, each batch's
/// checkpoint written in that same transaction, so a killed process resumes after the last committed batch
/// (no row skipped, none updated twice). Batches walk the primary key (keyset; any type, composite too) or,
/// for a table without one, ranges of heap pages (TID range scans). The batch size adapts so that a batch
/// takes about <see cref="BackfillOptions.TargetBatchDuration"/>: no transaction holds its row locks long.
/// </summary>
internal sealed class BackfillRunner(NpgsqlConnection connection, string checkpointTable, BackfillOptions options, ILogger logger)
{
    /// <summary>The rows updated (including those of an earlier, interrupted run).</summary>
    public async Task<long> RunAsync(long version, int step, BackfillSpec spec, CancellationToken cancellationToken)
    {
        var table = Quote.Ident(spec.Schema, spec.Table);
        var name = $"{spec.Schema}.{spec.Table}";
        var (lastKey, rowsDone) = await ReadCheckpointAsync(version, step, cancellationToken);
        var byKey = spec.Key.Count > 0;
        var total = byKey ? await EstimateRowsAsync(table, cancellationToken) : await PagesAsync(table, cancellationToken);
        var size = Math.Clamp(options.InitialBatchSize, options.MinBatchSize, options.MaxBatchSize);
        if (!byKey)
        {
            size = Math.Max(1, size / 50); // pages: roughly 50 narrow rows each
        }
        long visited = 0, updatedThisRun = 0;
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        var yieldPause = TimeSpan.Zero;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await WaitForReplicasAsync(cancellationToken);
            var batchClock = Stopwatch.StartNew();
            var (updated, seen, nextKey) = byKey
                ? await KeysetBatchAsync(version, step, spec, table, lastKey, size, cancellationToken)
                : await PageBatchAsync(version, step, spec, table, lastKey, size, total, cancellationToken);
            var elapsed = batchClock.Elapsed;
            rowsDone += updated;
            updatedThisRun += updated;
            visited += seen;
            lastKey = nextKey;
            if (updated > 0)
            {
                StepwiseDiagnostics.BackfillRows.Add(updated, new KeyValuePair<string, object?>("stepwise.table", name));
            }
            var done = nextKey is null;
            if (!done)
            {
                size = NextSize(size, seen, elapsed);
            }
            var rate = updatedThisRun / Math.Max(clock.Elapsed.TotalSeconds, 0.001);
            var visitRate = visited / Math.Max(clock.Elapsed.TotalSeconds, 0.001);
            TimeSpan? remaining = total > visited && visitRate > 0 ? TimeSpan.FromSeconds((total - visited) / visitRate) : null;
            var progress = new BackfillProgress(name, rowsDone, visited, Math.Max(total, visited), rate, done ? TimeSpan.Zero : remaining, size, done);
            options.OnProgress?.Invoke(progress);
            if (done || clock.Elapsed - lastReport >= TimeSpan.FromSeconds(5))
            {
                lastReport = clock.Elapsed;
                logger.LogInformation(EventIds.BackfillProgress, "backfill {Table}: {Rows} rows updated, {Rate} rows/s{Eta}",
                    name, rowsDone, (long)rate, done ? ", done" : remaining is { } left ? $", about {left.TotalSeconds:0} s left" : "");
            }
            if (done)
            {
                return rowsDone;
            }
            if (options.ClientLatency is { } probe)
            {
                yieldPause = await YieldAsync(probe, yieldPause, elapsed, cancellationToken);
            }
            var pause = options.Pause > yieldPause ? options.Pause : yieldPause;
            if (pause > TimeSpan.Zero)
            {
                await Task.Delay(pause, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Backs off while the application's latency is above the target: the pause between batches doubles (starting at
    /// the last batch's duration); below the target it halves until it is gone.
    /// </summary>
    private async Task<TimeSpan> YieldAsync(Func<CancellationToken, ValueTask<TimeSpan>> probe, TimeSpan pause, TimeSpan batch,
        CancellationToken cancellationToken)
    {
        var latency = await probe(cancellationToken);
        if (latency > options.TargetClientLatency)
        {
            var longer = pause > TimeSpan.Zero ? pause * 2 : batch;
            if (pause == TimeSpan.Zero)
            {
                logger.LogInformation(EventIds.BackfillProgress, "backfill yielding: client latency {Latency} ms is above {Target} ms",
                    (long)latency.TotalMilliseconds, (long)options.TargetClientLatency.TotalMilliseconds);
            }
            return longer < options.MaxYieldPause ? longer : options.MaxYieldPause;
        }
        var shorter = pause / 2;
        return shorter < TimeSpan.FromMilliseconds(5) ? TimeSpan.Zero : shorter;
    }

    /// <summary>
    /// Scales the batch toward 80% of the target duration, at most doubling or halving it per batch: batch times vary
    /// by a fifth or more on a busy server (checkpoints, autovacuum, other traffic), and aiming at the target itself put
    /// some batches a quarter or more past it.
    /// </summary>
    private int NextSize(int size, long seen, TimeSpan elapsed)
    {
        if (seen < size)
        {
            return size; // a short batch at the end says nothing about speed
        }
        var ratio = 0.8 * options.TargetBatchDuration.TotalMilliseconds / Math.Max(elapsed.TotalMilliseconds, 1);
        var next = (int)Math.Clamp(size * Math.Clamp(ratio, 0.5, 2.0), options.MinBatchSize, options.MaxBatchSize);
        return Math.Max(1, next);
    }

    private async Task<(long Updated, long Seen, string[]? NextKey)> KeysetBatchAsync(long version, int step, BackfillSpec spec, string table, string[]? lastKey, int size,
        CancellationToken cancellationToken)
    {
        var keys = spec.Key.Select(k => Quote.Ident(k.Name)).ToList();
        var aliases = spec.Key.Select((_, i) => $"_stepwise_k{i}").ToList();
        var after = lastKey is null ? "" :
            $"WHERE ({string.Join(", ", keys)}) > ({string.Join(", ", spec.Key.Select((k, i) => $"${i + 4}::{k.Type}"))})";
        var where = spec.Where is null ? "" : $" AND ({spec.Where})";
        var set = string.Join(", ", spec.Set.Select(s => $"{Quote.Ident(s.Column)} = ({s.Expression})"));
        var row = keys.Count == 1 ? $"{table}.{keys[0]}" : $"({string.Join(", ", keys.Select(k => $"{table}.{k}"))})";
        var bound = (string cte) => keys.Count == 1 ? $"(SELECT {aliases[0]} FROM {cte})" : $"({string.Join(", ", aliases.Select(a => $"(SELECT {a} FROM {cte})"))})";
        var lastAliases = string.Join(", ", aliases.Select(a => $"_stepwise_last.{a}::text"));
        // One statement, so one transaction: the batch, its update and its checkpoint commit together. The update
        // takes the batch's key range (first to last key, values the planner sees as parameters), not a join with
        // the batch: a join of a few thousand keys is planned as a hash join over a scan of the whole table, so each
        // batch would cost as much as the whole table. The batch and the update are one statement, so they see the same
        // snapshot: the range holds the batch's rows and no others, and the next batch starts after its last key.
        var sql = $"""
            WITH _stepwise_batch AS MATERIALIZED (
                SELECT {string.Join(", ", keys.Select((k, i) => $"{k} AS {aliases[i]}"))} FROM {table} {after}
                ORDER BY {string.Join(", ", keys)} LIMIT $1
            ), _stepwise_first AS (
                SELECT * FROM _stepwise_batch ORDER BY {string.Join(", ", aliases)} LIMIT 1
            ), _stepwise_last AS (
                SELECT * FROM _stepwise_batch ORDER BY {string.Join(", ", aliases.Select(a => a + " DESC"))} LIMIT 1
            ), _stepwise_updated AS (
                UPDATE {table} SET {set} WHERE {row} >= {bound("_stepwise_first")} AND {row} <= {bound("_stepwise_last")}{where} RETURNING 1
            ), _stepwise_checkpoint AS (
                {Checkpoint($"ARRAY[{lastAliases}]", "(SELECT count(*) FROM _stepwise_updated)", "_stepwise_last", 2)}
            )
            SELECT (SELECT count(*) FROM _stepwise_updated), (SELECT count(*) FROM _stepwise_batch), {lastAliases}
            FROM _stepwise_last
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue(size);
        command.Parameters.AddWithValue(version);
        command.Parameters.AddWithValue(step);
        foreach (var value in lastKey ?? [])
        {
            command.Parameters.AddWithValue(value);
        }
        await using var reader = await ExecuteWithRetryAsync(command, $"{spec.Schema}.{spec.Table}", cancellationToken);
        long updated = 0, seen = 0;
        string[]? next = null;
        if (await reader.ReadAsync(cancellationToken))
        {
            updated = reader.GetInt64(0);
            seen = reader.GetInt64(1);
            next = Enumerable.Range(0, aliases.Count).Select(i => reader.GetString(2 + i)).ToArray();
        }
        return (updated, seen, next);
    }

    private async Task<(long Updated, long Seen, string[]? NextKey)> PageBatchAsync(long version, int step, BackfillSpec spec, string table, string[]? lastKey, int size, long pages,
        CancellationToken cancellationToken)
    {
        var from = lastKey is null ? 0 : long.Parse(lastKey[0], CultureInfo.InvariantCulture);
        if (from >= pages)
        {
            return (0, 0, null);
        }
        var to = Math.Min(from + size, pages);
        var where = spec.Where is null ? "" : $" AND ({spec.Where})";
        var set = string.Join(", ", spec.Set.Select(s => $"{Quote.Ident(s.Column)} = ({s.Expression})"));
        // Rows a later writer moves to a page already done are covered by the fill trigger; rows this update moves are done.
        var last = to >= pages ? long.MaxValue : to;
        var sql = $"""
            WITH _stepwise_updated AS (
                UPDATE {table} SET {set}
                WHERE ctid >= format('(%s,0)', $1::bigint)::tid AND ({(last == long.MaxValue ? "true" : "ctid < format('(%s,0)', $2::bigint)::tid")}){where}
                RETURNING 1
            ), _stepwise_checkpoint AS (
                {Checkpoint("ARRAY[$2::text]", "(SELECT count(*) FROM _stepwise_updated)", "(SELECT 1) _stepwise_one", 3)}
            )
            SELECT count(*) FROM _stepwise_updated
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue(from);
        command.Parameters.AddWithValue(to);
        command.Parameters.AddWithValue(version);
        command.Parameters.AddWithValue(step);
        long updated;
        await using (var reader = await ExecuteWithRetryAsync(command, $"{spec.Schema}.{spec.Table}", cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            updated = reader.GetInt64(0);
        }
        return (updated, to - from, to >= pages ? null : [to.ToString(CultureInfo.InvariantCulture)]);
    }

    /// <summary>The checkpoint upsert, as a data-modifying CTE; <paramref name="firstParameter"/> is the number of the version parameter (the step's follows).</summary>
    private string Checkpoint(string key, string rows, string from, int firstParameter) => $"""
        INSERT INTO {checkpointTable} AS c (version, step, last_key, rows_done, batches)
                SELECT ${firstParameter}::bigint, ${firstParameter + 1}::integer, {key}, {rows}, 1 FROM {from}
                ON CONFLICT (version, step) DO UPDATE SET last_key = EXCLUDED.last_key, rows_done = c.rows_done + EXCLUDED.rows_done,
                    batches = c.batches + 1, updated_at = clock_timestamp()
        """;

    /// <summary>Runs one batch statement (its own transaction), retrying on lock_timeout or a deadlock with backoff.</summary>
    private async Task<NpgsqlDataReader> ExecuteWithRetryAsync(NpgsqlCommand command, string table, CancellationToken cancellationToken)
    {
        return await LockAttempts.RunAsync(s_batchPolicy, table, new("stepwise.table", table), (_, _) => command.ExecuteReaderAsync(cancellationToken),
            (attempt, ex, _) =>
            {
                logger.LogWarning(EventIds.LockTimeoutRetry, "backfill {Table}: a batch {What} ({State}); it was rolled back and is retried ({Attempt} of {Retries})", table,
                    ex.SqlState == PostgresErrorCodes.DeadlockDetected ? "was chosen as a deadlock victim" : "waited lock_timeout for a row another session holds", ex.SqlState, attempt.Number + 1,
                    s_batchPolicy.Retries);
                return Task.CompletedTask;
            }, cancellationToken, alsoRetry: PostgresErrorCodes.DeadlockDetected);
    }

    /// <summary>A batch runs under the session's lock_timeout (set by the executor; the policy's own is not used) and is retried 10 times, soon.</summary>
    private static readonly BackoffLockPolicy s_batchPolicy = new(TimeSpan.Zero, 10, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(3200));

    private async Task<(string[]? Key, long Rows)> ReadCheckpointAsync(long version, int step, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT last_key, rows_done FROM {checkpointTable} WHERE version = $1 AND step = $2", connection);
        command.Parameters.AddWithValue(version);
        command.Parameters.AddWithValue(step);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetFieldValue<string[]>(0), reader.GetInt64(1)) : (null, 0);
    }

    /// <summary>The planner's row estimate; 0 (unknown: no time left is shown) for a table never analysed, rather than a count that reads it whole.</summary>
    private async Task<long> EstimateRowsAsync(string table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT greatest(c.reltuples, 0)::bigint FROM pg_class c WHERE c.oid = $1::regclass", connection);
        command.Parameters.AddWithValue(table);
        return await command.ExecuteScalarAsync(cancellationToken) as long? ?? 0;
    }

    private async Task<long> PagesAsync(string table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT pg_relation_size($1::regclass) / current_setting('block_size')::bigint", connection);
        command.Parameters.AddWithValue(table);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task WaitForReplicasAsync(CancellationToken cancellationToken)
    {
        if (options.MaxReplicationLag is not { } ceiling)
        {
            return;
        }
        for (var waits = 0; ; waits++)
        {
            await using var command = new NpgsqlCommand("SELECT coalesce(max(extract(epoch FROM replay_lag)), 0)::float8 FROM pg_stat_replication", connection);
            var lag = TimeSpan.FromSeconds((double)(await command.ExecuteScalarAsync(cancellationToken))!);
            if (lag <= ceiling)
            {
                return;
            }
            if (waits % 10 == 0)
            {
                logger.LogInformation(EventIds.WaitingForReplicas, "backfill paused: replica replay lag {Lag} ms is above {Ceiling} ms", (long)lag.TotalMilliseconds, (long)ceiling.TotalMilliseconds);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }
}
