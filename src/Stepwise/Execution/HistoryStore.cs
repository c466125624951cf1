using Npgsql;
using NpgsqlTypes;
using Stepwise.Sql;

namespace Stepwise.Execution;

/// <summary>
/// The state schema: <c>state</c> (its own version, so later releases can upgrade it), <c>migrations</c>
/// (one row per applied, failed or partially applied migration) and <c>events</c> (an append-only log
/// of every apply, failure, rollback, baseline and repair), <c>instances</c> (running applications and their schema
/// versions), and <c>state.lock_wait</c> (what the running migration waits for while it waits for a quiet moment to take
/// its locks).
/// </summary>
internal sealed class HistoryStore(string schema)
{
    internal const string Versioned = "versioned";
    internal const string Repeatable = "repeatable";
    internal const int CurrentVersion = 6;

    private readonly string _s = Quote.Ident(schema);

    public string Schema { get; } = schema;

    public string Migrations => $"{_s}.migrations";

    /// <summary>Backfill checkpoints: one row per backfill step of an operation migration.</summary>
    public string Backfills => $"{_s}.backfills";

    /// <summary>
    /// The transaction ids of a backfill's batches, kept while it runs when its walk has an open end (no key, no fill
    /// trigger): its batches skip the row versions its own earlier batches wrote.
    /// </summary>
    public string BackfillWrites => $"{_s}.backfill_writes";

    /// <summary>The one row an operator's <c>stepwise backfill pause|resume|set</c> writes and running backfills read before each batch.</summary>
    public string BackfillControl => $"{_s}.backfill_control";

    /// <summary>Creates (or checks) the state schema; run under the migration lock.</summary>
    public async Task EnsureAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var existing = await ReadVersionAsync(connection, cancellationToken);
        if (existing > CurrentVersion)
        {
            throw new MigrationRefusedException(
                $"the state schema {Schema} is at version {existing}, written by a newer Stepwise (this one knows version {CurrentVersion}); upgrade Stepwise");
        }
        if (existing == CurrentVersion)
        {
            return;
        }
        var sql = $"""
            CREATE SCHEMA IF NOT EXISTS {_s};
            CREATE TABLE IF NOT EXISTS {_s}.state (
                id integer PRIMARY KEY CHECK (id = 1),
                schema_version integer NOT NULL
            );
            CREATE TABLE IF NOT EXISTS {_s}.migrations (
                version bigint NOT NULL,
                file text NOT NULL,
                kind text NOT NULL CHECK (kind IN ('versioned', 'repeatable')),
                checksum text NOT NULL,
                status text NOT NULL CONSTRAINT migrations_status_check CHECK (status IN ('applied', 'failed', 'partial', 'reverting')),
                statements_completed integer NOT NULL DEFAULT 0,
                statements_total integer NOT NULL DEFAULT 0,
                applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                applied_by text NOT NULL DEFAULT current_user,
                application_name text NOT NULL DEFAULT current_setting('application_name'),
                duration_ms bigint,
                error text
            );
            CREATE UNIQUE INDEX IF NOT EXISTS migrations_version_key ON {_s}.migrations (version) WHERE kind = 'versioned';
            CREATE UNIQUE INDEX IF NOT EXISTS migrations_repeatable_key ON {_s}.migrations (file) WHERE kind = 'repeatable';
            CREATE TABLE IF NOT EXISTS {_s}.events (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                at timestamptz NOT NULL DEFAULT clock_timestamp(),
                version bigint NOT NULL,
                file text NOT NULL,
                action text NOT NULL,
                detail text,
                by_role text NOT NULL DEFAULT current_user,
                application_name text NOT NULL DEFAULT current_setting('application_name')
            );
            INSERT INTO {_s}.state (id, schema_version) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;

            -- Version 2: operation migrations (their phase and stored plan) and backfill checkpoints.
            ALTER TABLE {_s}.migrations DROP CONSTRAINT IF EXISTS migrations_status_check;
            ALTER TABLE {_s}.migrations ADD CONSTRAINT migrations_status_check
                CHECK (status IN ({string.Join(", ", HistoryStatuses.All.Select(s => Quote.Literal(s.Text())))}));
            ALTER TABLE {_s}.migrations ADD COLUMN IF NOT EXISTS plan jsonb;
            CREATE TABLE IF NOT EXISTS {_s}.backfills (
                version bigint NOT NULL,
                step integer NOT NULL,
                last_key text[],
                rows_done bigint NOT NULL DEFAULT 0,
                batches integer NOT NULL DEFAULT 0,
                started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                PRIMARY KEY (version, step)
            );

            -- Version 3: running application instances and their schema versions (the complete gate).
            {Instances.InstanceRegistry.CreateTableSql(Schema)}

            -- Version 4: what a statement of the running migration waits for (one runner at a time), null when nothing waits.
            ALTER TABLE {_s}.state ADD COLUMN IF NOT EXISTS lock_wait jsonb;

            -- Version 5: backfill progress (for status and other processes) and live control (stepwise backfill pause|resume|set).
            ALTER TABLE {_s}.backfills ADD COLUMN IF NOT EXISTS table_name text, ADD COLUMN IF NOT EXISTS walk text,
                ADD COLUMN IF NOT EXISTS end_key text[], ADD COLUMN IF NOT EXISTS visited bigint, ADD COLUMN IF NOT EXISTS total bigint,
                ADD COLUMN IF NOT EXISTS rows_per_second double precision, ADD COLUMN IF NOT EXISTS eta_seconds double precision,
                ADD COLUMN IF NOT EXISTS state text;
            CREATE TABLE IF NOT EXISTS {_s}.backfill_control (
                id integer PRIMARY KEY CHECK (id = 1),
                paused boolean NOT NULL DEFAULT false,
                batch_target_ms integer,
                pause_ms integer,
                max_rows_per_second integer,
                updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                updated_by text NOT NULL DEFAULT current_user
            );
            INSERT INTO {_s}.backfill_control (id) VALUES (1) ON CONFLICT (id) DO NOTHING;

            -- Version 6: the transaction ids of a running backfill's batches, for walks with an open end.
            CREATE TABLE IF NOT EXISTS {_s}.backfill_writes (
                version bigint NOT NULL,
                step integer NOT NULL,
                xid xid NOT NULL
            );
            CREATE INDEX IF NOT EXISTS backfill_writes_step ON {_s}.backfill_writes (version, step);
            UPDATE {_s}.state SET schema_version = {CurrentVersion};
            """;
        // One transaction: the schema appears whole or not at all.
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(sql, connection, tx))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
    }

    private async Task<int> ReadVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT CASE WHEN to_regclass({Quote.Literal(Quote.Ident(Schema) + ".state")}) IS NULL THEN 0 ELSE -1 END", connection);
        var exists = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        if (exists == 0)
        {
            return 0;
        }
        await using var read = new NpgsqlCommand($"SELECT schema_version FROM {_s}.state WHERE id = 1", connection);
        return await read.ExecuteScalarAsync(cancellationToken) is int v ? v : 0;
    }

    /// <summary>Every row, in one round trip; empty when the state schema does not exist yet.</summary>
    public async Task<IReadOnlyList<HistoryRow>> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(SelectAll, connection);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await ReadRowsAsync(reader, cancellationToken);
        }
        catch (PostgresException ex) when (IsMissing(ex))
        {
            return []; // nothing applied yet: status must not create anything
        }
    }

    /// <summary>Every row and what a running migration waits for (<see cref="SelectLockWait"/>), in one round trip; empty when the state schema does not exist yet.</summary>
    public async Task<(IReadOnlyList<HistoryRow> Rows, Locking.LockWait? LockWait)> ReadWithLockWaitAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { new NpgsqlBatchCommand(SelectAll), new NpgsqlBatchCommand(SelectLockWait) } };
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            var rows = await ReadRowsAsync(reader, cancellationToken);
            return (rows, await ReadLockWaitAsync(reader, cancellationToken));
        }
        catch (PostgresException ex) when (IsMissing(ex))
        {
            return ([], null);
        }
    }

    /// <summary>Reads the result of <see cref="SelectLockWait"/>, the next one of <paramref name="reader"/>.</summary>
    internal static async Task<Locking.LockWait?> ReadLockWaitAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        await reader.NextResultAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Locking.LockWait.FromJson(reader.GetString(0)) : null;
    }

    /// <summary>The query for every row (so it can share a round trip with other queries).</summary>
    internal string SelectAll => $"""
        SELECT version, file, kind, checksum, status, statements_completed, statements_total,
               applied_at, applied_by, application_name, duration_ms, error
        FROM {_s}.migrations ORDER BY kind DESC, version, file
        """;

    /// <summary>
    /// The lock wait of the running migration as JSON, or null: none, or its session is gone (a killed run leaves its
    /// row behind; a state schema from before version 3 has no such column and reads as null).
    /// </summary>
    internal string SelectLockWait => $"""
        SELECT w.lock_wait::text FROM (SELECT to_jsonb(s) -> 'lock_wait' AS lock_wait FROM {_s}.state s WHERE s.id = 1) w
        WHERE jsonb_typeof(w.lock_wait) = 'object' AND EXISTS (
            SELECT 1 FROM pg_stat_activity a WHERE a.pid = (w.lock_wait ->> 'pid')::int AND a.backend_start <= (w.lock_wait ->> 'since')::timestamptz)
        """;

    /// <summary>Records what a statement waits for (<paramref name="json"/>), or that nothing waits (null).</summary>
    public NpgsqlBatchCommand LockWait(string? json) => json is null
        ? Command($"UPDATE {_s}.state SET lock_wait = NULL WHERE id = 1 AND lock_wait IS NOT NULL")
        : Command($"UPDATE {_s}.state SET lock_wait = $1::jsonb WHERE id = 1", Text(json));

    /// <summary>True when the error says the state schema does not exist yet.</summary>
    internal static bool IsMissing(PostgresException ex) => ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName;

    internal static async Task<List<HistoryRow>> ReadRowsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var rows = new List<HistoryRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new HistoryRow
            {
                Version = reader.GetInt64(0),
                File = reader.GetString(1),
                Kind = reader.GetString(2),
                Checksum = reader.GetString(3),
                Status = HistoryStatuses.Parse(reader.GetString(4)),
                StatementsCompleted = reader.GetInt32(5),
                StatementsTotal = reader.GetInt32(6),
                AppliedAt = reader.GetFieldValue<DateTimeOffset>(7),
                AppliedBy = reader.GetString(8),
                ApplicationName = reader.GetString(9),
                DurationMs = reader.IsDBNull(10) ? null : reader.GetInt64(10),
                Error = reader.IsDBNull(11) ? null : reader.GetString(11),
            });
        }
        return rows;
    }

    /// <summary>Replaces the row of a migration (delete + insert), as batch commands to add to a transaction.</summary>
    public IEnumerable<NpgsqlBatchCommand> Record(long version, string file, string kind, string checksum, HistoryStatus status,
        int completed, int total, long? durationMs, string? error)
    {
        yield return Delete(version, file, kind);
        yield return Command($"""
            INSERT INTO {_s}.migrations (version, file, kind, checksum, status, statements_completed, statements_total, duration_ms, error)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8 + {TransactionMs}, $9)
            """, Bigint(version), Text(file), Text(kind), Text(checksum), Text(status.Text()), Integer(completed), Integer(total), Bigint(durationMs), Text(error));
    }

    /// <summary>Stores an operation migration's plan and sets its phase (status) with the steps of that phase.</summary>
    public NpgsqlBatchCommand Phase(long version, HistoryStatus status, int total, string? planJson) =>
        Command($"UPDATE {_s}.migrations SET status = $2, statements_completed = 0, statements_total = $3, plan = coalesce($4::jsonb, plan), error = NULL, applied_at = clock_timestamp() WHERE kind = 'versioned' AND version = $1",
            Bigint(version), Text(status.Text()), Integer(total), Text(planJson));

    /// <summary>The stored plan of an operation migration (null when none).</summary>
    public async Task<string?> ReadPlanAsync(NpgsqlConnection connection, long version, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT plan::text FROM {_s}.migrations WHERE kind = 'versioned' AND version = $1", connection);
        command.Parameters.AddWithValue(version);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>Clean-up steps earlier completed operation migrations deferred (kept fill triggers), by version; empty when none.</summary>
    public async Task<List<(long Version, string File, string Steps)>> ReadKeptAsync(NpgsqlConnection connection, long before, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT version, file, (plan->'Kept')::text FROM {_s}.migrations
            WHERE kind = 'versioned' AND status = {Quote.Literal(HistoryStatus.Applied.Text())} AND version < $1 AND jsonb_array_length(coalesce(plan->'Kept', '[]'::jsonb)) > 0
            ORDER BY version
            """, connection);
        command.Parameters.AddWithValue(before);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var kept = new List<(long, string, string)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            kept.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
        }
        return kept;
    }

    /// <summary>Forgets an operation migration's deferred clean-up once it has run.</summary>
    public NpgsqlBatchCommand ForgetKept(long version) =>
        Command($"UPDATE {_s}.migrations SET plan = plan - 'Kept' WHERE kind = 'versioned' AND version = $1", Bigint(version));

    /// <summary>Removes a rolled-back operation migration's backfill checkpoints.</summary>
    public NpgsqlBatchCommand ForgetBackfills(long version) => Command($"DELETE FROM {_s}.backfills WHERE version = $1", Bigint(version));

    public NpgsqlBatchCommand Delete(long version, string file, string kind) => kind == Repeatable
        ? Command($"DELETE FROM {_s}.migrations WHERE kind = 'repeatable' AND file = $1", Text(file))
        : Command($"DELETE FROM {_s}.migrations WHERE kind = 'versioned' AND version = $1", Bigint(version));

    public NpgsqlBatchCommand Progress(long version, HistoryStatus status, int completed, string? error) =>
        Command($"UPDATE {_s}.migrations SET status = $2, statements_completed = $3, error = $4, applied_at = clock_timestamp() WHERE kind = 'versioned' AND version = $1",
            Bigint(version), Text(status.Text()), Integer(completed), Text(error));

    public NpgsqlBatchCommand Finish(long version, long durationMs) =>
        Command($"UPDATE {_s}.migrations SET status = {Quote.Literal(HistoryStatus.Applied.Text())}, error = NULL, duration_ms = $2 + {TransactionMs} WHERE kind = 'versioned' AND version = $1",
            Bigint(version), Bigint(durationMs));

    public NpgsqlBatchCommand UpdateChecksum(long version, string file, string kind, string checksum) => kind == Repeatable
        ? Command($"UPDATE {_s}.migrations SET checksum = $2 WHERE kind = 'repeatable' AND file = $1", Text(file), Text(checksum))
        : Command($"UPDATE {_s}.migrations SET checksum = $2, file = $3 WHERE kind = 'versioned' AND version = $1", Bigint(version), Text(checksum), Text(file));

    public NpgsqlBatchCommand Event(long version, string file, string action, string? detail) =>
        Command($"INSERT INTO {_s}.events (version, file, action, detail) VALUES ($1, $2, $3, $4)", Bigint(version), Text(file), Text(action), Text(detail));

    /// <summary>
    /// An event whose <paramref name="detail"/> names a run's duration as <c>{ms}</c>: <paramref name="durationMs"/>, the time
    /// before this transaction, plus this transaction's own (<see cref="TransactionMs"/>).
    /// </summary>
    public NpgsqlBatchCommand Event(long version, string file, string action, string detail, long durationMs) =>
        Command($"INSERT INTO {_s}.events (version, file, action, detail) VALUES ($1, $2, $3, replace($4, '{{ms}}', ($5 + {TransactionMs})::text))",
            Bigint(version), Text(file), Text(action), Text(detail), Bigint(durationMs));

    /// <summary>
    /// What a run's recorded duration adds to the time measured before its record was sent: the time its transaction has
    /// run so far, as the server counts it. A record sent in the same round trip as the run's statements (one transaction)
    /// can only be timed there; a record sent on its own adds about nothing.
    /// </summary>
    private const string TransactionMs = "(extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint";

    /// <summary>Runs history commands on their own (one round trip; a transaction when there are several).</summary>
    public static async Task RunAsync(NpgsqlConnection connection, IEnumerable<NpgsqlBatchCommand> commands, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter Bigint(long? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint };

    private static NpgsqlParameter Integer(int value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.Integer };

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}
