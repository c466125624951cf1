using Npgsql;

namespace Stepwise.Execution.Backfill;

/// <summary>
/// What an operator set for running backfills (<c>stepwise backfill pause|resume|set</c>), kept in the state schema
/// and read by every backfill before each batch. A null setting means the backfill's own option.
/// </summary>
/// <param name="Paused">No batch starts until resumed.</param>
/// <param name="BatchTarget">Replaces <see cref="BackfillOptions.TargetBatchDuration"/>.</param>
/// <param name="Pause">Replaces <see cref="BackfillOptions.Pause"/>.</param>
/// <param name="MaxRowsPerSecond">Replaces <see cref="BackfillOptions.MaxRowsPerSecond"/>.</param>
/// <param name="UpdatedAt">When it was last changed.</param>
/// <param name="UpdatedBy">The database role that changed it.</param>
public sealed record BackfillControl(bool Paused, TimeSpan? BatchTarget, TimeSpan? Pause, int? MaxRowsPerSecond, DateTimeOffset UpdatedAt, string UpdatedBy);

/// <summary>A change to <see cref="BackfillControl"/>: only the settings given change.</summary>
public sealed record BackfillControlChange
{
    /// <summary>Pause (true) or resume (false); null leaves it.</summary>
    public bool? Paused { get; init; }

    /// <summary>A new batch target; <see cref="TimeSpan.Zero"/> goes back to the backfill's own option.</summary>
    public TimeSpan? BatchTarget { get; init; }

    /// <summary>A new pause between batches; a negative value goes back to the backfill's own option.</summary>
    public TimeSpan? Pause { get; init; }

    /// <summary>A new rate limit (rows per second); 0 goes back to the backfill's own option.</summary>
    public int? MaxRowsPerSecond { get; init; }
}

/// <summary>A backfill as its last batch left it in the state schema.</summary>
/// <param name="Version">The operation migration.</param>
/// <param name="Step">The backfill step's number.</param>
/// <param name="Table">The table, <c>schema.name</c> (null until its first batch reported).</param>
/// <param name="RowsDone">Rows updated so far.</param>
/// <param name="Batches">Batches committed so far.</param>
/// <param name="Walk"><c>heap</c> (ranges of pages in physical order) or <c>key</c> (the primary key).</param>
/// <param name="Visited">Pages (heap) or rows (key) gone through.</param>
/// <param name="Total">Pages or rows to go through.</param>
/// <param name="RowsPerSecond">The rate of the running (or last) run.</param>
/// <param name="Remaining">The estimated time left, when known.</param>
/// <param name="State"><c>running</c>, <c>waiting: ...</c> (why) or <c>done</c>.</param>
/// <param name="UpdatedAt">When its last batch or wait was recorded: a running backfill writes it at least every poll.</param>
public sealed record BackfillState(long Version, int Step, string? Table, long RowsDone, int Batches, string? Walk, long? Visited, long? Total, double? RowsPerSecond,
    TimeSpan? Remaining, string? State, DateTimeOffset UpdatedAt);

/// <summary>Every backfill the state schema knows and the operator's settings.</summary>
public sealed record BackfillReport(BackfillControl? Control, IReadOnlyList<BackfillState> Backfills);

/// <summary>Reads and writes the state schema's backfill control and progress (for the CLI, status and hosting).</summary>
internal static class BackfillControlStore
{
    public static async Task<BackfillControl> ChangeAsync(NpgsqlConnection connection, HistoryStore history, BackfillControlChange change, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            UPDATE {history.BackfillControl} SET
                paused = coalesce($1, paused),
                batch_target_ms = CASE WHEN $2::integer IS NULL THEN batch_target_ms ELSE nullif($2, 0) END,
                pause_ms = CASE WHEN $3::integer IS NULL THEN pause_ms WHEN $3 < 0 THEN NULL ELSE $3 END,
                max_rows_per_second = CASE WHEN $4::integer IS NULL THEN max_rows_per_second ELSE nullif($4, 0) END,
                updated_at = clock_timestamp(), updated_by = current_user
            WHERE id = 1
            RETURNING {Columns}
            """, connection);
        command.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Boolean, (object?)change.Paused ?? DBNull.Value);
        command.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Integer, Millis(change.BatchTarget));
        command.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Integer, change.Pause is { } pause && pause < TimeSpan.Zero ? -1 : Millis(change.Pause));
        command.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Integer, (object?)change.MaxRowsPerSecond ?? DBNull.Value);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? ReadControl(reader) : throw NotSetUp(history);
        }
        catch (PostgresException ex) when (HistoryStore.IsMissing(ex))
        {
            throw NotSetUp(history);
        }
    }

    private static MigrationRefusedException NotSetUp(HistoryStore history) => new(
        $"the state schema {history.Schema} has no backfill control yet (it is made by a Stepwise that has it, at its next apply, complete or rollback): no backfill of this Stepwise runs here");

    private static object Millis(TimeSpan? t) => t is { } value ? (int)Math.Min(int.MaxValue, value.TotalMilliseconds) : DBNull.Value;

    private const string Columns = "paused, batch_target_ms, pause_ms, max_rows_per_second, updated_at, updated_by";

    private static BackfillControl ReadControl(NpgsqlDataReader reader, int at = 0) => new(reader.GetBoolean(at),
        reader.IsDBNull(at + 1) ? null : TimeSpan.FromMilliseconds(reader.GetInt32(at + 1)),
        reader.IsDBNull(at + 2) ? null : TimeSpan.FromMilliseconds(reader.GetInt32(at + 2)),
        reader.IsDBNull(at + 3) ? null : reader.GetInt32(at + 3),
        reader.GetFieldValue<DateTimeOffset>(at + 4), reader.GetString(at + 5));

    /// <summary>The state of a backfill left running by a run that no longer holds the migration lock.</summary>
    internal const string Stopped = "stopped: no Stepwise run is going on (the last one ended or was killed before it finished); the same command (stepwise apply, or complete) resumes it";

    /// <summary>Every backfill and the control row; empty when the state schema has none yet (reads only).</summary>
    public static async Task<BackfillReport> ReadAsync(NpgsqlConnection connection, HistoryStore history, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT {Columns} FROM {history.BackfillControl} WHERE id = 1"));
        // A backfill runs only while its run holds the migration lock: a row that says running (or waiting) without a
        // holder is one whose process failed or was killed mid-batch, and says so.
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
            SELECT version, step, table_name, rows_done, batches, walk, visited, total, rows_per_second, eta_seconds,
                   CASE WHEN (state IS NULL OR state = 'running' OR state LIKE 'waiting%') AND NOT EXISTS (SELECT FROM pg_locks l WHERE {AdvisoryLock.HeldBy(history.Schema)})
                        THEN '{Stopped}' ELSE state END,
                   updated_at
            FROM {history.Backfills} ORDER BY version, step
            """));
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            var control = await reader.ReadAsync(cancellationToken) ? ReadControl(reader) : null;
            await reader.NextResultAsync(cancellationToken);
            var backfills = new List<BackfillState>();
            while (await reader.ReadAsync(cancellationToken))
            {
                backfills.Add(new BackfillState(reader.GetInt64(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt64(3), reader.GetInt32(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetInt64(6), reader.IsDBNull(7) ? null : reader.GetInt64(7),
                    reader.IsDBNull(8) ? null : reader.GetDouble(8), reader.IsDBNull(9) ? null : TimeSpan.FromSeconds(reader.GetDouble(9)),
                    reader.IsDBNull(10) ? null : reader.GetString(10), reader.GetFieldValue<DateTimeOffset>(11)));
            }
            return new BackfillReport(control, backfills);
        }
        catch (PostgresException ex) when (HistoryStore.IsMissing(ex) || ex.SqlState == PostgresErrorCodes.UndefinedColumn)
        {
            return new BackfillReport(null, []); // a state schema from before backfill control
        }
    }
}
