using Npgsql;
using Stepwise.Connections;
using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Execution;

/// <summary>A table the application needs, with the columns it reads or writes.</summary>
/// <param name="Table">The table, <c>schema.name</c> or <c>name</c> (then <c>public</c>).</param>
/// <param name="Columns">The columns that must exist.</param>
public sealed record RequiredTable(string Table, IReadOnlyList<string> Columns);

/// <summary>Whether a database is ready for the application, and if not, exactly why and what fixes it.</summary>
/// <param name="Problems">One line per problem, each naming the migration or object and the command that fixes it.</param>
/// <param name="Status">The migration status behind it.</param>
public sealed record SchemaCheckResult(IReadOnlyList<string> Problems, StatusReport Status)
{
    /// <summary>
    /// Migrations in history that a newer release applied (newer than every file here, or repeatable ones without
    /// a file): not a problem, since expand/contract keeps older code working during a rolling deploy.
    /// </summary>
    public IReadOnlyList<string> Ahead { get; init; } = [];

    /// <summary>True when nothing is pending, failed, partial or modified and every required column exists.</summary>
    public bool Ready => Problems.Count == 0;
}

/// <summary>
/// The start-up check: in one round trip, reads the migration history and whether the tables and
/// columns the application needs exist, and compares with the directory (read, not parsed). Changes
/// nothing.
/// </summary>
public static class SchemaCheck
{
    /// <summary>Checks the database at <paramref name="database"/> against <paramref name="directory"/>.</summary>
    public static Task<SchemaCheckResult> CheckAsync(string database, string directory, IReadOnlyList<RequiredTable>? required = null,
        string stateSchema = "stepwise", CancellationToken cancellationToken = default) =>
        CheckAsync(database, MigrationSource.FromDirectory(directory), required, stateSchema, cancellationToken);

    /// <summary>Checks the database at <paramref name="database"/> against the migrations of <paramref name="source"/> (a folder, embedded resources, ...).</summary>
    public static async Task<SchemaCheckResult> CheckAsync(string database, MigrationSource source, IReadOnlyList<RequiredTable>? required = null,
        string stateSchema = "stepwise", CancellationToken cancellationToken = default)
    {
        var files = MigrationDirectory.Load(source, new MigrationDirectoryOptions { Parse = false });
        var problems = files.Problems.Where(p => p.Severity == Severity.Error).Select(p => p.ToString()).ToList();
        required ??= [];
        var wanted = required.SelectMany(t => t.Columns.Select(c => (Schema: t.Table.Contains('.') ? t.Table[..t.Table.IndexOf('.')] : "public",
            Table: t.Table.Contains('.') ? t.Table[(t.Table.IndexOf('.') + 1)..] : t.Table, Column: c))).ToList();

        await using var connection = DataSources.Connection(DatabaseTarget.Parse(database).ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        var columns = new NpgsqlBatchCommand("""
            SELECT n.nspname, c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE a.attnum > 0 AND NOT a.attisdropped AND (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))
            """);
        columns.Parameters.AddWithValue(wanted.Select(w => w.Schema).ToArray());
        columns.Parameters.AddWithValue(wanted.Select(w => w.Table).ToArray());
        batch.BatchCommands.Add(columns);
        var history = new HistoryStore(stateSchema);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(history.SelectAll));
        batch.BatchCommands.Add(new NpgsqlBatchCommand(history.SelectLockWait));

        var existing = new HashSet<(string, string, string)>();
        IReadOnlyList<HistoryRow> rows = [];
        Locking.LockWait? lockWait = null;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                existing.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
            try
            {
                await reader.NextResultAsync(cancellationToken);
                rows = await HistoryStore.ReadRowsAsync(reader, cancellationToken);
                lockWait = await HistoryStore.ReadLockWaitAsync(reader, cancellationToken);
            }
            catch (PostgresException ex) when (HistoryStore.IsMissing(ex))
            {
                // No history yet: every migration is pending.
            }
        }

        var status = StatusReport.Compute(files, rows);
        status.LockWait = lockWait;
        // An operation migration between start and complete is the rollout window itself: both code versions work.
        foreach (var entry in status.Entries.Where(e => e.NeedsAttention && !IsAhead(e, files) && e.History?.Status is not (HistoryStatus.Started or HistoryStatus.Completing)))
        {
            problems.Add(entry.State switch
            {
                MigrationState.InProgress => $"operation migration {entry.File} is {entry.History!.Status.Text()} (step {entry.History.StatementsCompleted} of {entry.History.StatementsTotal}): run stepwise {(entry.History.Status == HistoryStatus.RollingBack ? "rollback" : "apply")} to finish it",
                MigrationState.Pending or MigrationState.OutOfOrder => $"migration {entry.File} is pending: run stepwise apply",
                MigrationState.Failed => $"migration {entry.File} failed ({entry.History!.Error}): fix it and run stepwise apply",
                MigrationState.Partial => $"migration {entry.File} is partially applied ({entry.History!.StatementsCompleted} of {entry.History.StatementsTotal} statements): run stepwise apply to finish it",
                MigrationState.Reverting => $"migration {entry.File} is partially rolled back: finish with stepwise rollback",
                MigrationState.Modified => $"migration {entry.File} was changed after it was applied: undo the edit, or stepwise repair --yes",
                _ => $"migration {entry.File} is in history but its file is missing: restore it, or stepwise repair --yes",
            });
        }
        foreach (var (schema, table, column) in wanted.Where(w => !existing.Contains(w)))
        {
            problems.Add($"column {schema}.{table}.{column}, which the application needs, does not exist: run stepwise apply (or add a migration that creates it)");
        }
        return new SchemaCheckResult(problems, status) { Ahead = [.. status.Entries.Where(e => IsAhead(e, files)).Select(e => e.File)] };
    }

    /// <summary>
    /// True for history the application does not know because a newer release wrote it: a versioned migration
    /// newer than every file in the directory, or a repeatable one without a file. During a rolling deploy the
    /// instances still running the old release see exactly this, and must stay ready (expand/contract keeps the
    /// old code working); a gap inside the directory's range, though, is still a problem.
    /// </summary>
    private static bool IsAhead(MigrationStatusEntry entry, MigrationDirectory directory) =>
        entry.State == MigrationState.MissingFile
            && (entry.History!.IsRepeatable || entry.Version > directory.Versioned.Select(m => m.Version).DefaultIfEmpty(0).Max());
}
