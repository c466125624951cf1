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
/// (no row skipped, none updated twice). Only the rows that existed when the backfill started are its work: the end
/// (the last heap page, or the highest key) is fixed at the first batch and kept in the checkpoint, so a backfill ends
/// even while the application inserts faster than it updates.
/// <para>
/// Batches walk the heap in physical order (ranges of pages, TID range scans) when the table has no primary key, or
/// when a fill trigger covers every row written meanwhile (<see cref="BackfillSpec.FilledByTrigger"/>): each batch
/// then costs the same however large the table is. Otherwise they walk the primary key (keyset; any type, composite
/// too), which finds a row wherever an update moved it. The batch size adapts so that a batch takes about
/// <see cref="BackfillOptions.TargetBatchDuration"/>; between batches a <see cref="BackfillPacer"/> reports progress,
/// reads the operator's live settings and waits while a throttle holds.
/// </para>
/// </summary>
internal sealed class BackfillRunner(NpgsqlConnection connection, HistoryStore history, BackfillOptions options, ILogger logger)
{
    /// <summary>How a backfill goes through its table, as stored in its checkpoint.</summary>
    internal const string HeapWalk = "heap", KeyWalk = "key";

    private sealed record Checkpoint(string[]? LastKey, long RowsDone, string? Walk, string[]? EndKey);

    /// <summary>The rows updated (including those of an earlier, interrupted run).</summary>
    public async Task<long> RunAsync(long version, int step, BackfillSpec spec, CancellationToken cancellationToken)
    {
        try
        {
            return await WalkAsync(version, step, spec, cancellationToken);
        }
        catch (PostgresException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // What status shows for it, instead of "running": the run is over. (Killed, it leaves "running", which
            // status reads as stopped, as no run holds the migration lock then.)
            await RecordStateAsync(version, step, $"failed: {ex.SqlState}: {ex.MessageText}{(ex.Detail is { } detail ? $" ({detail})" : "")}");
            throw;
        }
    }

    /// <summary>Writes the progress row's state, as far as the connection still works (a failure here must not hide the backfill's own).</summary>
    private async Task RecordStateAsync(long version, int step, string state)
    {
        try
        {
            await using var command = new NpgsqlCommand($"UPDATE {history.Backfills} SET state = $3, updated_at = clock_timestamp() WHERE version = $1 AND step = $2", connection);
            command.Parameters.AddWithValue(version);
            command.Parameters.AddWithValue(step);
            command.Parameters.AddWithValue(state);
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            logger.LogDebug(EventIds.BackfillProgress, "backfill: its failure could not be recorded in its progress row ({Message})", ex.Message);
        }
    }

    private async Task<long> WalkAsync(long version, int step, BackfillSpec spec, CancellationToken cancellationToken)
    {
        var table = Quote.Ident(spec.Schema, spec.Table);
        var name = $"{spec.Schema}.{spec.Table}";
        var checkpoint = await ReadCheckpointAsync(version, step, cancellationToken);
        var facts = await TableFactsAsync(table, [.. spec.Set.Select(s => s.Column)], cancellationToken);
        // A checkpoint written before walks were recorded walked the key when there was one.
        var walk = checkpoint?.Walk ?? (checkpoint is not null ? (spec.Key.Count > 0 ? KeyWalk : HeapWalk) : ChooseWalk(spec, facts));
        var byKey = walk == KeyWalk;
        // A heap walk behind a fill trigger also keeps the transaction id the backfill starts after (see PageBatchAsync).
        var end = checkpoint?.EndKey ?? (byKey ? await HighestKeyAsync(spec, table, cancellationToken)
            : spec.FilledByTrigger ? [facts.Pages.ToString(CultureInfo.InvariantCulture), facts.Xid]
            : [facts.Pages.ToString(CultureInfo.InvariantCulture)]);
        if (checkpoint?.EndKey is null)
        {
            await StartCheckpointAsync(version, step, name, walk, end, cancellationToken);
        }
        // Without a key and without a fill trigger, rows written meanwhile land anywhere and nothing else fills them:
        // the last range stays open, as a single UPDATE would be.
        var openEnd = !byKey && spec.Key.Count == 0 && !spec.FilledByTrigger;
        var (lastKey, rowsDone) = (checkpoint?.LastKey, checkpoint?.RowsDone ?? 0);
        // A batch of a heap walk is one pass over a range of pages, which updates a share of its rows (PassShares): the
        // largest share (the first pass's) is a batch's rows.
        var passes = byKey || !facts.HotPossible ? PassSchedule.One : new PassSchedule(options.PassShares.Sum(), options.PassShares);
        var rowsPerPage = (facts.Pages > 0 && facts.Rows > 0 ? Math.Max(1.0, facts.Rows / (double)facts.Pages) : 50) * passes.LargestShare;
        var (minSize, maxSize) = byKey
            ? (options.MinBatchSize, options.MaxBatchSize)
            : (1, Math.Max(1, (int)(options.MaxBatchSize / rowsPerPage)));
        var size = byKey
            ? Math.Clamp(options.InitialBatchSize, minSize, maxSize)
            : Math.Clamp((int)(options.InitialBatchSize / rowsPerPage), minSize, maxSize);
        var endPage = byKey || end is null ? 0 : long.Parse(end[0], CultureInfo.InvariantCulture);
        var startXid = byKey || end is not { Length: >= 2 } ? null : end[1];
        var startPage = byKey || lastKey is null ? 0 : long.Parse(lastKey[0], CultureInfo.InvariantCulture);
        var total = byKey ? facts.Rows : endPage;
        var pacer = new BackfillPacer(connection, history, options, logger, table, name, version, step);
        long visited = byKey ? 0 : startPage, updatedThisRun = 0;
        // Not with an open end: the room a vacuum frees behind the walk would take the rows the application inserts,
        // which the open last range is there to catch at the end of the table.
        var vacuum = options.VacuumAsItGoes && facts.Vacuumable && !openEnd ? new VacuumCadence(facts.Rows, options.VacuumMinRows, options.VacuumsPerWalk) : null;
        var clock = Stopwatch.StartNew();
        var (lastReport, slowestPass) = (TimeSpan.Zero, TimeSpan.Zero);
        var progress = new BackfillProgress(name, rowsDone, visited, Math.Max(total, visited), 0, null, size, false);
        var stuck = 0; // batches cancelled in a row that could not be made smaller
        var tableTag = new KeyValuePair<string, object?>(StepwiseDiagnostics.TableTag, name);
        await pacer.BeforeFirstBatchAsync(progress, cancellationToken);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // A batch of the smallest size, or a range's later pass (its pages are in the checkpoint), cannot be made
            // smaller: cancelled twice, it runs once without the bound.
            var shrinkable = size > minSize && (byKey || !MidRange(lastKey));
            var cancelAt = stuck >= 2 ? (TimeSpan?)null : Bound(pacer.BatchTarget);
            var batchClock = Stopwatch.StartNew();
            (long Updated, long Seen, string[]? NextKey) result;
            try
            {
                // The batch's progress row carries the rate and time left as of the batch before (rows and position are its own).
                result = end is null
                    ? (0, 0, null)
                    : byKey
                        ? await KeysetBatchAsync(version, step, spec, table, lastKey, end, size, cancelAt, pacer, progress, cancellationToken)
                        : await PageBatchAsync(version, step, spec, table, lastKey, endPage, startXid, openEnd, size, passes, cancelAt, pacer, progress, cancellationToken);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.QueryCanceled && cancelAt is { } limit && batchClock.Elapsed >= limit
                && !cancellationToken.IsCancellationRequested)
            {
                // Past the bound (the statement_timeout the batch set for itself; a cancel by someone else comes sooner):
                // rolled back, its row locks released. Smaller if it can be; if not, tried again as it is after a pause.
                size = shrinkable ? Math.Max(minSize, size / 2) : size;
                stuck = shrinkable ? 0 : stuck + 1;
                StepwiseDiagnostics.BackfillBatchesCancelled.Add(1, tableTag);
                logger.LogWarning(EventIds.BackfillBatchCancelled, "backfill {Table}: a batch ran past {Ms} ms and was cancelled (rolled back); it is retried {Next}", name,
                    (long)limit.TotalMilliseconds, shrinkable ? $"at {size} {(byKey ? "rows" : "pages")}" : stuck >= 2 ? "without the bound" : "as it is");
                if (!shrinkable)
                {
                    await Task.Delay(CancelledPause, cancellationToken);
                }
                continue;
            }
            catch (PostgresException ex) when (RowError(ex) && end is not null && !cancellationToken.IsCancellationRequested)
            {
                // Rolled back. Which row of the batch it was is what the user needs to fix it: found before the error goes on.
                var from = byKey || lastKey is null ? 0 : long.Parse(lastKey[0], CultureInfo.InvariantCulture);
                var to = byKey ? 0 : MidRange(lastKey) ? long.Parse(lastKey![1], CultureInfo.InvariantCulture) : Math.Min(from + size, endPage);
                throw await WithRowAsync(ex, spec, table, byKey, byKey ? lastKey : null, byKey ? size : (int)Math.Min(int.MaxValue / 2, (to - from) * MaxRowsPerPage), from, to);
            }
            var (updated, seen, nextKey) = result;
            stuck = 0;
            var elapsed = batchClock.Elapsed;
            rowsDone += updated;
            updatedThisRun += updated;
            visited += seen;
            lastKey = nextKey;
            if (updated > 0)
            {
                StepwiseDiagnostics.BackfillRows.Add(updated, tableTag);
            }
            var done = nextKey is null;
            // A range's passes differ: the first moves its rows off their pages (new index entries), the later ones are
            // mostly HOT and faster. The next range's size follows the slowest pass, or its first pass runs past the bound.
            slowestPass = elapsed > slowestPass ? elapsed : slowestPass;
            if (!done && seen > 0)
            {
                size = NextSize(size, seen, slowestPass, pacer.BatchTarget, minSize, maxSize, passes.Passes > 1 ? FirstPassAim : 0.8);
                slowestPass = TimeSpan.Zero;
            }
            var rate = updatedThisRun / Math.Max(clock.Elapsed.TotalSeconds, 0.001);
            var visitRate = (visited - (byKey ? 0 : startPage)) / Math.Max(clock.Elapsed.TotalSeconds, 0.001);
            TimeSpan? remaining = total > visited && visitRate > 0 ? TimeSpan.FromSeconds((total - visited) / visitRate) : null;
            progress = new BackfillProgress(name, rowsDone, visited, Math.Max(total, visited), rate, done ? TimeSpan.Zero : remaining, size, done, LastBatch: elapsed);
            options.OnProgress?.Invoke(progress);
            if (done || clock.Elapsed - lastReport >= TimeSpan.FromSeconds(5))
            {
                lastReport = clock.Elapsed;
                logger.LogInformation(EventIds.BackfillProgress, "backfill {Table}: {Rows} rows updated, {Rate} rows/s{Eta}",
                    name, rowsDone, (long)rate, done ? ", done" : remaining is { } left ? $", about {left.TotalSeconds:0} s left" : "");
            }
            if (done)
            {
                await pacer.FinishAsync(progress, cancellationToken);
                if (openEnd)
                {
                    await ForgetWritesAsync(version, step, cancellationToken);
                }
                return rowsDone;
            }
            if (vacuum is not null && vacuum.Due(updated))
            {
                vacuum = await VacuumAsync(table, name, cancellationToken) ? vacuum : null;
            }
            await pacer.BetweenBatchesAsync(progress, updated, elapsed, cancellationToken);
        }
    }

    /// <summary>
    /// The heap in physical order where nothing is missed by it: a table without a key, or one whose fill trigger covers
    /// rows written meanwhile; a plain table (a partitioned one has no heap of its own) on PostgreSQL 14 or later (TID
    /// range scans; before, each range would be a scan of the whole table).
    /// </summary>
    private static string ChooseWalk(BackfillSpec spec, TableFacts facts) =>
        spec.Key.Count == 0 || (spec.FilledByTrigger && facts.PlainTable && facts.ServerVersion >= 140000) ? HeapWalk : KeyWalk;

    /// <summary>
    /// The part of the target a heap walk's first pass aims at. It is the pass that moves its rows off their pages (new
    /// index entries, pages from the free space map or a new one at the end), and it slows down most when the server
    /// writes: traced at 1M rows, the batches past 250 ms were first passes during a checkpoint, at 40% fewer rows per
    /// millisecond than the run's average while the checkpointer wrote 1,000 and more buffers. At 80% of the target they
    /// ran 255-263 ms (3 of 2,986 batches in a full run); the later, HOT passes are short whatever the aim.
    /// </summary>
    internal const double FirstPassAim = 0.7;

    /// <summary>
    /// The bound on a batch: its update is cancelled when it runs past 1.125 times
    /// <see cref="BackfillOptions.TargetBatchDuration"/> (225 ms at the default 200 ms; a <c>statement_timeout</c> set for
    /// its own transaction), so that with its look at the database, its commit and the round trip the batch holds its row
    /// locks no longer than about 1.25 times the target (250 ms). Rolled back, it is retried at half its size. Sized to
    /// take 70-80% of the target, batches rarely reach it: a checkpoint's writes or a vacuum's I/O now and then slow one
    /// to twice its usual time (2 of 3,630 batches past 250 ms in a full benchmark run without the bound), and a batch
    /// waiting for a row an application transaction holds would otherwise hold its own rows while it waits. Never under
    /// 50 ms, where a statement's time says more about the machine's scheduling than about the batch (a target of 20 ms
    /// cancelled at 22 ms, under load, where round trip and commit alone can take that long).
    /// </summary>
    internal static TimeSpan Bound(TimeSpan target) => TimeSpan.FromTicks(Math.Max((long)(target.Ticks * 1.125), TimeSpan.FromMilliseconds(50).Ticks));

    /// <summary>A heap walk's checkpoint in the middle of a range (<c>[first page, end page, passes, next pass, ...]</c>): its pages are fixed.</summary>
    private static bool MidRange(string[]? lastKey) => lastKey is { Length: >= 4 };

    /// <summary>
    /// An error a row's values cause: a data exception of the fill expression (class 22: division by zero, a value out of
    /// range, a bad cast), or the new column's NOT NULL (or a check) refusing what it gave (23502, 23514).
    /// </summary>
    private static bool RowError(PostgresException ex) => ex.SqlState.StartsWith("22", StringComparison.Ordinal) || ex.SqlState is "23502" or "23514";

    /// <summary>The key's values as parameters from number <paramref name="first"/> on, each cast to its column's type: <c>($8::uuid)</c>.</summary>
    private static string KeyParameters(BackfillSpec spec, int first) => $"({string.Join(", ", spec.Key.Select((k, i) => $"${first + i}::{k.Type}"))})";

    /// <summary>The most row versions a heap page holds (8 kB pages; PostgreSQL's MaxHeapTuplesPerPage).</summary>
    private const int MaxRowsPerPage = 291;

    /// <summary>
    /// <paramref name="error"/>, with the row of the failed batch that causes it as its detail and what to do as its hint.
    /// The batch's rows (after <paramref name="lastKey"/> in key order, at most <paramref name="limit"/>; or those of pages
    /// <paramref name="fromPage"/> to <paramref name="toPage"/> in heap order) are tried a growing prefix at a time,
    /// halving the step (a dozen reads of at most a batch; nothing is written), or, for a NULL the column refuses, looked
    /// up directly. When no row can be named (the error came from elsewhere, a trigger say), the error goes on as it was.
    /// </summary>
    private async Task<PostgresException> WithRowAsync(PostgresException error, BackfillSpec spec, string table, bool byKey, string[]? lastKey, int limit, long fromPage, long toPage)
    {
        var keys = spec.Key.Select(k => Quote.Ident(k.Name)).ToList();
        var range = byKey
            ? lastKey is null ? "true" : $"({string.Join(", ", keys)}) > {KeyParameters(spec, 2)}"
            : $"ctid >= '({Invariant(fromPage)},0)'::tid AND ctid < '({Invariant(toPage)},0)'::tid";
        var order = byKey ? string.Join(", ", keys) : "ctid";
        var rows = $"(SELECT ctid AS _stepwise_ctid, * FROM {table} WHERE {range}{(spec.Where is null ? "" : $" AND ({spec.Where})")} ORDER BY {order} LIMIT $1) AS {Quote.Ident(spec.Table)}";
        var named = "_stepwise_ctid::text" + string.Concat(keys.Select(k => $", {k}::text"));
        var refusedNull = error.SqlState is "23502" or "23514";
        NpgsqlCommand Command(string sql, int count)
        {
            var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue(count);
            foreach (var value in lastKey ?? [])
            {
                command.Parameters.AddWithValue(value);
            }
            return command;
        }
        async Task<string?> Probe(string sql, int count)
        {
            await using var command = Command(sql, count);
            await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
            // "id = 1000 (ctid (5,75))", or without a key "at ctid (5,75)".
            return !await reader.ReadAsync(CancellationToken.None) ? null
                : reader.FieldCount == 1 ? $"at ctid {reader.GetString(0)}"
                : string.Join(", ", Enumerable.Range(1, reader.FieldCount - 1).Select(i => $"{spec.Key[i - 1].Name} = {reader.GetString(i)}")) + $" (ctid {reader.GetString(0)})";
        }
        async Task<bool> Fails(int count)
        {
            try
            {
                // count() evaluates the expression on every row of the prefix.
                await using var command = Command($"SELECT {string.Join(" + ", spec.Set.Select(x => $"count(({x.Expression}))"))} FROM {rows}", count);
                await command.ExecuteScalarAsync(CancellationToken.None);
                return false;
            }
            catch (PostgresException ex) when (ex.SqlState == error.SqlState)
            {
                return true;
            }
        }
        string? row = null;
        try
        {
            if (refusedNull)
            {
                row = await Probe($"SELECT {named} FROM {rows} WHERE {string.Join(" OR ", spec.Set.Select(x => $"({x.Expression}) IS NULL"))} LIMIT 1", limit);
            }
            else if (await Fails(limit))
            {
                // The first failing row: the smallest prefix that fails.
                var (good, bad) = (0, limit);
                while (bad - good > 1)
                {
                    var middle = good + (bad - good) / 2;
                    (good, bad) = await Fails(middle) ? (good, middle) : (middle, bad);
                }
                row = await Probe($"SELECT {named} FROM {rows} OFFSET {Invariant(bad - 1)}", bad);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or FormatException)
        {
            logger.LogDebug(EventIds.BackfillProgress, "backfill: the row behind {State} could not be found ({Message})", error.SqlState, ex.Message);
        }
        if (row is null)
        {
            return error;
        }
        var what = refusedNull ? $"the fill gives NULL (or a value the column refuses) for the row {row}" : $"the fill fails on the row {row}";
        return new PostgresException(error.MessageText, error.Severity, error.InvariantSeverity, error.SqlState,
            detail: what, // in place of PostgreSQL's, which shows the row's values (Npgsql redacts them unless the connection asks for them)
            hint: "the fill (up) must give a value for every row that exists: fix that row's data and run the same command again (the backfill resumes at its batch), " +
                "or stepwise rollback, correct the expression (e.g. NULLIF, CASE, COALESCE) and apply again");
    }

    /// <summary>The wait before a batch cancelled at its bound is tried again as it is (it could not be made smaller).</summary>
    private static readonly TimeSpan CancelledPause = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Scales the batch toward 80% of the target duration, growing by at most a quarter and shrinking by at most half per
    /// batch: batch times vary by a fifth or more on a busy server (checkpoints, autovacuum, other traffic), and aiming at
    /// the target itself put some batches a quarter or more past it. Growth is slow because one batch that happened to be
    /// fast says little: allowed to double, the next batch at the usual speed took twice the aim, 320 ms, and most
    /// batches past 250 ms at 1M rows were those (see docs/benchmarks.md); shrinking stays fast, to get back under the
    /// bound at once. <paramref name="aim"/> is the part of the target aimed at (0.8; a heap walk in passes sizes its
    /// ranges by their first pass and aims that at 0.7, see <see cref="FirstPassAim"/>).
    /// </summary>
    internal static int NextSize(int size, long seen, TimeSpan elapsed, TimeSpan target, int minSize, int maxSize, double aim = 0.8)
    {
        if (seen < size)
        {
            return size; // a short batch at the end says nothing about speed
        }
        var ratio = aim * target.TotalMilliseconds / Math.Max(elapsed.TotalMilliseconds, 1);
        // Far below the aim (the first batches, from a small initial size) a batch may grow up to eightfold, as long as
        // the grown batch is still expected to take at most half the aim: noise cannot push that past the bound (a small
        // batch's fixed cost, its round trip and commit, makes the estimate high, not low), and a backfill of 100k rows
        // no longer spends most of its batches growing (15 at a quarter per batch; a heap walk's range grows only after
        // its passes).
        var growth = ratio >= 2.5 ? Math.Min(ratio / 2, 8) : 1.25;
        var next = (int)Math.Clamp(size * Math.Clamp(ratio, 0.5, growth), minSize, maxSize);
        return Math.Max(next == size && ratio > 1 ? Math.Min(size + 1, maxSize) : next, 1); // a one-page batch still grows
    }

    private async Task<(long Updated, long Seen, string[]? NextKey)> KeysetBatchAsync(long version, int step, BackfillSpec spec, string table, string[]? lastKey, string[] end,
        int size, TimeSpan? cancelAt, BackfillPacer pacer, BackfillProgress progress, CancellationToken cancellationToken)
    {
        var keys = spec.Key.Select(k => Quote.Ident(k.Name)).ToList();
        var aliases = spec.Key.Select((_, i) => $"_stepwise_k{i}").ToList();
        var tuple = $"({string.Join(", ", keys)})";
        // $1 size, $2 to $7 the checkpoint's (version, step, progress), then the end key's values, then the last key's.
        var range = $"WHERE {tuple} <= {KeyParameters(spec, 8)}" + (lastKey is null ? "" : $" AND {tuple} > {KeyParameters(spec, 8 + keys.Count)}");
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
        var statement = new NpgsqlBatchCommand($"""
            WITH _stepwise_batch AS MATERIALIZED (
                SELECT {string.Join(", ", keys.Select((k, i) => $"{k} AS {aliases[i]}"))} FROM {table} {range}
                ORDER BY {string.Join(", ", keys)} LIMIT $1
            ), _stepwise_first AS (
                SELECT * FROM _stepwise_batch ORDER BY {string.Join(", ", aliases)} LIMIT 1
            ), _stepwise_last AS (
                SELECT * FROM _stepwise_batch ORDER BY {string.Join(", ", aliases.Select(a => a + " DESC"))} LIMIT 1
            ), _stepwise_updated AS (
                UPDATE {table} SET {set} WHERE {row} >= {bound("_stepwise_first")} AND {row} <= {bound("_stepwise_last")}{where} RETURNING 1
            ), _stepwise_checkpoint AS (
                {CheckpointSql($"ARRAY[{lastAliases}]", "(SELECT count(*) FROM _stepwise_updated)", "(SELECT count(*) FROM _stepwise_batch)", "_stepwise_last", 2)}
            )
            SELECT (SELECT count(*) FROM _stepwise_updated), (SELECT count(*) FROM _stepwise_batch), {lastAliases}
            FROM _stepwise_last
            """);
        statement.Parameters.AddWithValue(size);
        AddCheckpointParameters(statement, version, step, progress);
        foreach (var value in end.Concat(lastKey ?? []))
        {
            statement.Parameters.AddWithValue(value);
        }
        return await RunBatchAsync(statement, cancelAt, pacer, spec, reader => reader is null
            ? (0L, 0L, (string[]?)null)
            : (reader.GetInt64(0), reader.GetInt64(1), Enumerable.Range(0, aliases.Count).Select(i => reader.GetString(2 + i)).ToArray()), cancellationToken);
    }

    /// <summary>
    /// One pass over a range of pages: with <paramref name="passes"/> above 1, the range's rows are updated in that many
    /// transactions, each taking the rows whose line pointer number falls in its share (<see cref="PassSchedule"/>): the
    /// same part of every page's rows. The first
    /// pass's new row versions go elsewhere (its pages are full), but once it commits, the next pass's read of each page
    /// prunes the versions it replaced, and that room takes the next pass's new versions on the same page: HOT updates,
    /// with no new index entry, the costliest part of an update on a table whose indexes do not fit in memory.
    /// <para>
    /// The checkpoint of a range not finished is <c>[first page, end page, passes, next pass, the earlier passes'
    /// transaction ids...]</c> (the passes as <see cref="PassSchedule.ToString"/> writes them, so that a resume splits the
    /// range as its first passes did), of a finished one <c>[next page]</c>. A pass skips the row versions the
    /// earlier passes of its range wrote (their <c>xmin</c>), which may have landed in the range in a later pass's share:
    /// no row is updated twice, on a resume too.
    /// </para>
    /// <para>
    /// Behind a fill trigger (<paramref name="startXid"/>, the transaction id taken when the backfill started), every
    /// batch skips the row versions written after the start: the trigger filled those the application wrote, and those
    /// the backfill wrote are done. Without it, a row a batch moved to a page the walk had still to visit (the table's
    /// last page, which has room, or a page the free space map offered) was updated a second time there.
    /// </para>
    /// </summary>
    private async Task<(long Updated, long Seen, string[]? NextKey)> PageBatchAsync(long version, int step, BackfillSpec spec, string table, string[]? lastKey, long endPage,
        string? startXid, bool openEnd, int size, PassSchedule passes, TimeSpan? cancelAt, BackfillPacer pacer, BackfillProgress progress, CancellationToken cancellationToken)
    {
        var midRange = MidRange(lastKey);
        var from = lastKey is null ? 0 : long.Parse(lastKey[0], CultureInfo.InvariantCulture);
        if (from >= endPage)
        {
            return (0, 0, null);
        }
        var to = midRange ? long.Parse(lastKey![1], CultureInfo.InvariantCulture) : Math.Min(from + size, endPage);
        // Without a key and a fill trigger the last range stays open to rows written meanwhile: one pass, so that a row
        // written between two passes cannot fall in the share of a pass already done.
        var open = to >= endPage && openEnd;
        var schedule = midRange ? PassSchedule.Parse(lastKey![2]) : open ? PassSchedule.One : passes;
        var pass = midRange ? int.Parse(lastKey![3], CultureInfo.InvariantCulture) : 0;
        var earlier = midRange ? lastKey![4..] : [];
        var lastPass = pass + 1 >= schedule.Passes;
        var where = spec.Where is null ? "" : $" AND ({spec.Where})";
        var set = string.Join(", ", spec.Set.Select(s => $"{Quote.Ident(s.Column)} = ({s.Expression})"));
        // Rows this update moves (to free space or to new pages at the end) are done; rows a writer moves or adds are
        // the fill trigger's (or, without one and without a key, the open last range's).
        var upper = open ? "" : " AND ctid < format('(%s,0)', $2::bigint)::tid";
        // The transaction ids are written into the statement as numbers: the filter runs on every row of the range in
        // every pass, and a constant array costs nothing per row (xmin::text against a text array did).
        var ids = string.Join(",", earlier.Select(x => Invariant(long.Parse(x, CultureInfo.InvariantCulture))));
        var share = (schedule.Passes == 1 ? "" : $" AND {schedule.Filter(pass)}" + (earlier.Length == 0 ? "" : $" AND xmin <> ALL('{{{ids}}}'::xid[])"))
            + (startXid is null ? "" : $" AND age(xmin) > age('{long.Parse(startXid, CultureInfo.InvariantCulture)}'::xid)")
            + (openEnd ? $" AND xmin NOT IN (SELECT w.xid FROM {history.BackfillWrites} w WHERE w.version = $3::bigint AND w.step = $4::integer)" : "");
        // With an open end, the rows this walk's updates moved past the table's end (or into free room ahead) lie in its
        // open last range, which would update them again: each batch records its transaction id, and every batch skips
        // the versions those wrote (a hashed lookup per row).
        var record = openEnd
            ? $", _stepwise_write AS (INSERT INTO {history.BackfillWrites} (version, step, xid) VALUES ($3::bigint, $4::integer, {ThisXid}::xid))"
            : "";
        var key = lastPass ? "ARRAY[$2::text]" : $"ARRAY[$1::text, $2::text, $9::text, $10::text] || $11::text[] || {ThisXid}";
        var statement = new NpgsqlBatchCommand($"""
            WITH _stepwise_updated AS (
                UPDATE {table} SET {set}
                WHERE ctid >= format('(%s,0)', $1::bigint)::tid{upper}{share}{where}
                RETURNING 1
            ), _stepwise_checkpoint AS (
                {CheckpointSql(key, "(SELECT count(*) FROM _stepwise_updated)", null, "(SELECT 1) _stepwise_one", 3)}
            ){record}
            SELECT count(*), {(lastPass ? "NULL" : ThisXid)} FROM _stepwise_updated
            """);
        statement.Parameters.AddWithValue(from);
        statement.Parameters.AddWithValue(to);
        AddCheckpointParameters(statement, version, step, progress with { RowsVisited = lastPass ? to : from });
        if (!lastPass)
        {
            statement.Parameters.AddWithValue(schedule.ToString());
            statement.Parameters.AddWithValue(pass + 1);
            statement.Parameters.AddWithValue(earlier);
        }
        var (updated, xid) = await RunBatchAsync(statement, cancelAt, pacer, spec, reader => (reader!.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1)), cancellationToken);
        // The range's pages count as visited (and the batch size adapts) at its last pass.
        return lastPass
            ? (updated, to - from, to >= endPage ? null : [Invariant(to)])
            : (updated, 0, [Invariant(from), Invariant(to), schedule.ToString(), Invariant(pass + 1), .. earlier, xid!]);
    }

    /// <summary>The statement's own transaction id as <c>xmin</c> shows it (32 bits, without txid_current's epoch), as text.</summary>
    private const string ThisXid = "(txid_current() % 4294967296)::text";

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The checkpoint and progress update, as a data-modifying CTE of the batch's statement: one new version of the row
    /// per batch. <paramref name="firstParameter"/> is the number of the version parameter; the step's, the pages or rows
    /// visited before (plus <paramref name="visitedNow"/>, the batch's own, when the statement counts them), the total,
    /// the rate and the time left follow (<see cref="AddCheckpointParameters"/>).
    /// </summary>
    private string CheckpointSql(string key, string rows, string? visitedNow, string from, int firstParameter)
    {
        var visited = $"${firstParameter + 2}::bigint" + (visitedNow is null ? "" : $" + {visitedNow}");
        return $"""
            UPDATE {history.Backfills} AS c SET last_key = {key}, rows_done = c.rows_done + {rows}, batches = c.batches + 1, updated_at = clock_timestamp(),
                        visited = {visited}, total = greatest(${firstParameter + 3}::bigint, {visited}), rows_per_second = ${firstParameter + 4}::float8,
                        eta_seconds = ${firstParameter + 5}::float8, state = 'running'
                    FROM {from} WHERE c.version = ${firstParameter}::bigint AND c.step = ${firstParameter + 1}::integer
            """;
    }

    private static void AddCheckpointParameters(NpgsqlBatchCommand statement, long version, int step, BackfillProgress progress)
    {
        statement.Parameters.AddWithValue(version);
        statement.Parameters.AddWithValue(step);
        statement.Parameters.AddWithValue(progress.RowsVisited);
        statement.Parameters.AddWithValue(progress.Total);
        statement.Parameters.AddWithValue(progress.RowsPerSecond);
        statement.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Double, progress.Remaining is { } left ? left.TotalSeconds : DBNull.Value);
    }

    /// <summary>
    /// Runs a batch's statement and the pacer's look at the database as one <see cref="NpgsqlBatch"/>: one round trip,
    /// one implicit transaction (the update, its checkpoint and progress commit together at the end); retried on
    /// lock_timeout or a deadlock with backoff. <paramref name="read"/> gets the statement's row, or null when it returned none.
    /// The statement is cancelled at <paramref name="cancelAt"/> (null: the session's statement_timeout).
    /// </summary>
    private async Task<T> RunBatchAsync<T>(NpgsqlBatchCommand statement, TimeSpan? cancelAt, BackfillPacer pacer, BackfillSpec spec, Func<NpgsqlDataReader?, T> read,
        CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(BatchSettings(spec, cancelAt));
        batch.BatchCommands.Add(statement);
        pacer.AddProbe(batch);
        var table = $"{spec.Schema}.{spec.Table}";
        // The whole reading is the attempt: the update is the batch's second command, so its error (lock_timeout, a
        // deadlock) reaches the reader only when it moves past the settings' row, not when the batch is sent.
        return await LockAttempts.RunAsync(s_batchPolicy, table, new(StepwiseDiagnostics.TableTag, table), async (_, _) =>
            {
                await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                await reader.NextResultAsync(cancellationToken); // past the settings' row
                var result = read(await reader.ReadAsync(cancellationToken) ? reader : null);
                await pacer.ReadProbeAsync(reader, cancellationToken);
                return result;
            },
            (attempt, ex, _) =>
            {
                logger.LogWarning(EventIds.LockTimeoutRetry, "backfill {Table}: a batch {What} ({State}); it was rolled back and is retried ({Attempt} of {Retries})", table,
                    ex.SqlState == PostgresErrorCodes.DeadlockDetected ? "was chosen as a deadlock victim" : "waited lock_timeout for a row another session holds", ex.SqlState, attempt.Number + 1,
                    s_batchPolicy.Retries);
                return Task.CompletedTask;
            }, cancellationToken, alsoRetry: PostgresErrorCodes.DeadlockDetected);
    }

    /// <summary>
    /// Settings for the batch's own transaction only (<c>set_config(..., true)</c>: nothing stays on the session, which a
    /// transaction-mode pooler would hand to another client), set before its update is planned:
    /// <list type="bullet">
    /// <item>JIT off: a batch is a short statement repeated hundreds of times, and PostgreSQL compiles one whose cost
    /// estimate passes <c>jit_above_cost</c> (a batch of about 12,000 rows of the reference table) every time, 10 ms and
    /// more, past 500,000 (about 40,000 rows) 150 ms with inlining and optimization: up to a whole batch's time budget.</item>
    /// <item><c>synchronous_commit</c> off: a batch's commit does not wait for its WAL to reach the disk (or a synchronous
    /// standby). Safe here: a crash can lose only the last batches, and their checkpoint with them (same transaction),
    /// so the backfill resumes before them; a later step's ordinary commit flushes them anyway.</item>
    /// <item><see cref="BackfillSpec.FillingSetting"/>: the table the transaction fills, which a type change's sync trigger reads to
    /// skip computing the copy again for the backfill's own rows (it sets the copy itself).</item>
    /// <item><c>statement_timeout</c> at <paramref name="cancelAt"/>, the batch's bound (<see cref="Bound"/>). PostgreSQL
    /// starts the timeout afresh for each statement of the pipeline, so it counts from the update's start.</item>
    /// </list>
    /// </summary>
    private static NpgsqlBatchCommand BatchSettings(BackfillSpec spec, TimeSpan? cancelAt)
    {
        var timeout = cancelAt is null ? "" : ", set_config('statement_timeout', $2, true)";
        var command = new NpgsqlBatchCommand($"SELECT set_config('jit', 'off', true), set_config('synchronous_commit', 'off', true), set_config('{BackfillSpec.FillingSetting}', $1, true){timeout}");
        command.Parameters.AddWithValue($"{spec.Schema}.{spec.Table}");
        if (cancelAt is { } bound)
        {
            command.Parameters.AddWithValue(Invariant((long)bound.TotalMilliseconds));
        }
        return command;
    }

    /// <summary>
    /// The checkpoint row, before the first batch: how the backfill walks and where it ends (kept for a resume), and its
    /// table, so that status shows it even while it waits before its first batch. A row from an earlier Stepwise keeps its key.
    /// </summary>
    private async Task StartCheckpointAsync(long version, int step, string name, string walk, string[]? end, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            INSERT INTO {history.Backfills} AS c (version, step, table_name, walk, end_key, state) VALUES ($1, $2, $3, $4, $5, 'running')
            ON CONFLICT (version, step) DO UPDATE SET table_name = EXCLUDED.table_name, walk = coalesce(c.walk, EXCLUDED.walk), end_key = EXCLUDED.end_key
            """, connection);
        command.Parameters.AddWithValue(version);
        command.Parameters.AddWithValue(step);
        command.Parameters.AddWithValue(name);
        command.Parameters.AddWithValue(walk);
        command.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, (object?)end ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A batch runs under the session's lock_timeout (set by the executor; the policy's own is not used) and is retried 10 times, soon.</summary>
    private static readonly BackoffLockPolicy s_batchPolicy = new(TimeSpan.Zero, 10, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(3200));

    private async Task<Checkpoint?> ReadCheckpointAsync(long version, int step, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT last_key, rows_done, walk, end_key FROM {history.Backfills} WHERE version = $1 AND step = $2", connection);
        command.Parameters.AddWithValue(version);
        command.Parameters.AddWithValue(step);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Checkpoint(reader.IsDBNull(0) ? null : reader.GetFieldValue<string[]>(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<string[]>(3))
            : null;
    }

    /// <param name="Rows">The planner's row estimate; 0 (unknown: no time left is shown) for a table never analysed, rather than a count that reads it whole.</param>
    /// <param name="Pages">The heap's pages now.</param>
    /// <param name="Vacuumable">The backfill's role may VACUUM the table (it owns it, or the database, or is a superuser) and the server has <c>VACUUM (SKIP_LOCKED, TRUNCATE)</c> (PostgreSQL 12).</param>
    /// <param name="HotPossible">No index of the table reads a column the backfill sets, so its updates can be HOT (new versions on the same page, no new index entry) where the page has room.</param>
    /// <param name="Xid">The id of the transaction that read these facts (32 bits, as <c>xmin</c> shows it): every transaction that writes after it is newer.</param>
    private sealed record TableFacts(long Rows, long Pages, bool PlainTable, int ServerVersion, bool Vacuumable, bool HotPossible, string Xid);

    private async Task<TableFacts> TableFactsAsync(string table, string[] columns, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT greatest(c.reltuples, 0)::bigint, pg_relation_size(c.oid) / current_setting('block_size')::bigint, c.relkind = 'r',
                   current_setting('server_version_num')::integer,
                   current_setting('server_version_num')::integer >= 120000
                       AND (pg_has_role(c.relowner, 'USAGE') OR pg_has_role((SELECT d.datdba FROM pg_database d WHERE d.datname = current_database()), 'USAGE')),
                   NOT EXISTS (SELECT FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attname = ANY($2::text[])
                               WHERE i.indrelid = c.oid
                                 AND (a.attnum = ANY(i.indkey) OR ((i.indexprs IS NOT NULL OR i.indpred IS NOT NULL) AND strpos(pg_get_indexdef(i.indexrelid), a.attname) > 0))),
                   {ThisXid}
            FROM pg_class c WHERE c.oid = $1::regclass
            """, connection);
        command.Parameters.AddWithValue(table);
        command.Parameters.AddWithValue(columns);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new TableFacts(reader.GetInt64(0), reader.GetInt64(1), reader.GetBoolean(2), reader.GetInt32(3), reader.GetBoolean(4), reader.GetBoolean(5), reader.GetString(6));
    }

    /// <summary>
    /// When to vacuum behind the walk (<see cref="BackfillOptions.VacuumAsItGoes"/>): after every twentieth of the table's
    /// rows updated (<paramref name="perWalk"/>: <see cref="BackfillOptions.VacuumsPerWalk"/>), and at least
    /// <paramref name="minRows"/> apart (<see cref="BackfillOptions.VacuumMinRows"/>: 50,000 rows, about 500 pages of the
    /// reference table; closer, a vacuum costs more than the room it frees saves). Each vacuum costs about a pass over
    /// the table's pages not yet all-visible and over its indexes, so twenty of them cost in proportion to the table,
    /// whatever its size. A twentieth was the fastest of the spacings tried on the reference table (75-page batches from
    /// psql, one run each, docs/benchmarks.md): at 1M rows a ninth and a thirtieth were slower, at 5M a tenth and a
    /// fortieth (and in the bench, a tenth and a fortieth, one run each, within the machine's spread).
    /// </summary>
    private sealed class VacuumCadence(long estimatedRows, long minRows, int perWalk)
    {
        private readonly long _every = Math.Max(estimatedRows / perWalk, minRows);
        private long _since;

        /// <summary>Counts a batch's updated rows; true when a vacuum is due (the count starts again).</summary>
        public bool Due(long updated)
        {
            _since += updated;
            if (_since < _every)
            {
                return false;
            }
            _since = 0;
            return true;
        }
    }

    /// <summary>
    /// Vacuums the table behind the walk, so that the rows the batches replaced stop taking space: the free space map
    /// then hands their room to the next batches' new row versions, and the dead index entries are gone. Without it
    /// every updated row (fill factor 100, no room on its page) goes to a new page at the end of the table, which doubles
    /// as a bulk UPDATE doubles it, and the indexes grow with dead entries; with it, on the reference table, the backfill
    /// is a fifth faster at 1M and 5M rows and leaves a table 40% smaller (docs/benchmarks.md).
    /// <para>
    /// <c>SKIP_LOCKED</c>: never waits for its lock (an autovacuum already on the table does the same work; DDL holds the
    /// table). <c>TRUNCATE false</c>: cutting empty pages off the end would take an ACCESS EXCLUSIVE lock, which readers
    /// and writers queue behind. The vacuum's own lock (SHARE UPDATE EXCLUSIVE) blocks no reader or writer, only DDL and
    /// other vacuums, while it runs. A vacuum that fails (statement_timeout, a permission it lacks) only stops the
    /// vacuuming: it was never the backfill's work. Returns false when no vacuum should be tried again.
    /// </para>
    /// </summary>
    private async Task<bool> VacuumAsync(string table, string name, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await using var command = new NpgsqlCommand($"VACUUM (SKIP_LOCKED, TRUNCATE false) {table}", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
            logger.LogDebug(EventIds.BackfillVacuum, "backfill {Table}: vacuumed the row versions it replaced ({Ms} ms)", name, (long)clock.Elapsed.TotalMilliseconds);
            return true;
        }
        catch (PostgresException ex) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(EventIds.BackfillVacuum, "backfill {Table}: VACUUM behind the backfill failed ({State}: {Message}); the backfill goes on without it", name, ex.SqlState,
                ex.MessageText);
            return false;
        }
    }

    /// <summary>Drops a finished walk's record of its batches' transaction ids (a crash before it leaves a few harmless rows).</summary>
    private async Task ForgetWritesAsync(long version, int step, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"DELETE FROM {history.BackfillWrites} WHERE version = $1 AND step = $2", connection);
        command.Parameters.AddWithValue(version);
        command.Parameters.AddWithValue(step);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The highest key now (the keyset walk's end), or null for an empty table. (The text values get names of their own: an ORDER BY name would mean the output column, ordering by text.)</summary>
    private async Task<string[]?> HighestKeyAsync(BackfillSpec spec, string table, CancellationToken cancellationToken)
    {
        var keys = spec.Key.Select(k => Quote.Ident(k.Name)).ToList();
        await using var command = new NpgsqlCommand(
            $"SELECT {string.Join(", ", keys.Select((k, i) => $"{k}::text AS _stepwise_e{i}"))} FROM {table} ORDER BY {string.Join(", ", keys.Select(k => k + " DESC"))} LIMIT 1", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Enumerable.Range(0, keys.Count).Select(reader.GetString).ToArray() : null;
    }
}
