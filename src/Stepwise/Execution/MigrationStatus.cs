using Stepwise.Migrations;

namespace Stepwise.Execution;

/// <summary>Where one migration stands, comparing its file with the database's history.</summary>
public enum MigrationState
{
    /// <summary>Applied, and the file is unchanged since.</summary>
    Applied,

    /// <summary>Not applied yet.</summary>
    Pending,

    /// <summary>Not applied, but older than one that is (e.g. from a merged branch): refused unless allowed.</summary>
    OutOfOrder,

    /// <summary>Applied, but the file changed since (checksum differs).</summary>
    Modified,

    /// <summary>History says applied (or started), but there is no file.</summary>
    MissingFile,

    /// <summary>The last attempt failed and was rolled back; the next apply tries again.</summary>
    Failed,

    /// <summary>Applied statement by statement and interrupted; the next apply resumes.</summary>
    Partial,

    /// <summary>A statement-by-statement rollback was interrupted; the next rollback resumes.</summary>
    Reverting,

    /// <summary>An operation migration's start phase is done: old and new code both work; waiting for <c>stepwise complete</c> (or rollback).</summary>
    Started,

    /// <summary>An operation migration's phase (start, complete or rollback) was interrupted; running the same command again resumes it.</summary>
    InProgress,
}

/// <summary>One migration's status.</summary>
/// <param name="Version">Its version (0 for repeatable migrations).</param>
/// <param name="File">Its file name.</param>
/// <param name="State">Where it stands.</param>
/// <param name="Migration">The file, when there is one.</param>
/// <param name="History">The history row, when there is one.</param>
public sealed record MigrationStatusEntry(long Version, string File, MigrationState State, Migration? Migration, HistoryRow? History)
{
    /// <summary>True for everything but <see cref="MigrationState.Applied"/>.</summary>
    public bool NeedsAttention => State != MigrationState.Applied;

    /// <summary>True for an operation migration between start and complete, or with a phase under way.</summary>
    public bool IsOperationInProgress => State is MigrationState.Started || (State is MigrationState.InProgress);
}

/// <summary>What <see cref="Migrator.OverviewAsync"/> read: everything <c>stepwise status</c> shows.</summary>
/// <param name="Status">Every migration's status and what a running migration waits for.</param>
/// <param name="Backfills">The backfills' recorded progress and the operator's settings (empty unless an operation migration is in progress).</param>
/// <param name="VersionSchemas">The version schemas of the database.</param>
/// <param name="Instances">The live application instances, by version.</param>
public sealed record StatusOverview(StatusReport Status, Backfill.BackfillReport Backfills, IReadOnlyList<Operations.VersionSchemaInfo> VersionSchemas,
    IReadOnlyList<Instances.Instance> Instances);

/// <summary>The status of every migration, files and history together.</summary>
public sealed class StatusReport
{
    internal StatusReport(IReadOnlyList<MigrationStatusEntry> entries) => Entries = entries;

    /// <summary>Versioned migrations by version, then repeatable ones by name.</summary>
    public IReadOnlyList<MigrationStatusEntry> Entries { get; }

    /// <summary>
    /// What a statement of a running migration is waiting for right now (the tables, who holds conflicting locks, since
    /// when), read from the state schema; null when nothing waits.
    /// </summary>
    public Locking.LockWait? LockWait { get; internal set; }

    /// <summary>True when something is pending, failed, partial, modified, missing or out of order.</summary>
    public bool NeedsAttention => Entries.Any(e => e.NeedsAttention);

    /// <summary>The newest applied version, or 0.</summary>
    public long CurrentVersion => Entries.Where(e => e.History is { IsRepeatable: false, Status: HistoryStatus.Applied }).Select(e => e.Version).DefaultIfEmpty(0).Max();

    /// <summary>Computes the status from a directory and history rows (no database needed).</summary>
    public static StatusReport Compute(MigrationDirectory directory, IReadOnlyList<HistoryRow> history)
    {
        var entries = new List<MigrationStatusEntry>();
        var versionedRows = history.Where(h => !h.IsRepeatable).ToDictionary(h => h.Version);
        var maxApplied = versionedRows.Values.Where(h => h.Status == HistoryStatus.Applied).Select(h => h.Version).DefaultIfEmpty(0).Max();

        foreach (var migration in directory.Versioned)
        {
            versionedRows.Remove(migration.Version, out var row);
            entries.Add(new MigrationStatusEntry(migration.Version, migration.FileName, StateOf(migration, row, maxApplied), migration, row));
        }
        foreach (var orphan in versionedRows.Values)
        {
            entries.Add(new MigrationStatusEntry(orphan.Version, orphan.File, MigrationState.MissingFile, null, orphan));
        }
        entries.Sort((a, b) => a.Version.CompareTo(b.Version));

        var repeatableRows = history.Where(h => h.IsRepeatable).ToDictionary(h => h.File, StringComparer.Ordinal);
        var repeatables = new List<MigrationStatusEntry>();
        foreach (var migration in directory.Repeatable)
        {
            repeatableRows.Remove(migration.FileName, out var row);
            var state = row is null || row.Checksum != migration.Checksum ? MigrationState.Pending
                : row.Status == HistoryStatus.Applied ? MigrationState.Applied : MigrationState.Failed;
            repeatables.Add(new MigrationStatusEntry(0, migration.FileName, state, migration, row));
        }
        // A repeatable migration whose file is gone leaves its objects behind: worth a look, not an error.
        repeatables.AddRange(repeatableRows.Values.Select(r => new MigrationStatusEntry(0, r.File, MigrationState.MissingFile, null, r)));
        entries.AddRange(repeatables.OrderBy(e => e.File, StringComparer.Ordinal));
        return new StatusReport(entries);
    }

    private static MigrationState StateOf(Migration migration, HistoryRow? row, long maxApplied) => row switch
    {
        null => migration.Version < maxApplied ? MigrationState.OutOfOrder : MigrationState.Pending,
        { Status: HistoryStatus.Failed } => MigrationState.Failed,
        { Status: HistoryStatus.Partial } => MigrationState.Partial,
        { Status: HistoryStatus.Reverting } => MigrationState.Reverting,
        _ when row.Checksum != migration.Checksum => MigrationState.Modified,
        { Status: HistoryStatus.Started } => MigrationState.Started,
        { Status: HistoryStatus.Starting or HistoryStatus.Completing or HistoryStatus.RollingBack } => MigrationState.InProgress,
        _ => MigrationState.Applied,
    };
}
