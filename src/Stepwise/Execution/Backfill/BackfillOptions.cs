namespace Stepwise.Execution.Backfill;

/// <summary>How a backfill paces itself.</summary>
public sealed class BackfillOptions
{
    /// <summary>
    /// How long one batch (one transaction, holding its row locks) may take; the batch size adapts so that batches take
    /// about 80% of it, leaving room for a slower one. Default 200 ms.
    /// </summary>
    public TimeSpan TargetBatchDuration { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The first batch's size in rows (walking the heap, the pages that hold about this many rows).</summary>
    public int InitialBatchSize { get; set; } = 1_000;

    /// <summary>The smallest batch.</summary>
    public int MinBatchSize { get; set; } = 100;

    /// <summary>The largest batch.</summary>
    public int MaxBatchSize { get; set; } = 200_000;

    /// <summary>A pause after each batch, leaving room to other traffic. Default none.</summary>
    public TimeSpan Pause { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// A limit on rows updated per second (default none): after a batch the backfill waits until its rate is back
    /// under it. An operator can change it while the backfill runs (<c>stepwise backfill set --rate</c>).
    /// </summary>
    public int? MaxRowsPerSecond { get; set; }

    /// <summary>Batches wait while a streaming replica's replay lag is above this (default 30 s; null: never).</summary>
    public TimeSpan? MaxReplicationLag { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Batches wait while a vacuum (autovacuum or a manual <c>VACUUM</c>) works on the table, as GitLab's background
    /// migrations do, so the two do not compete for the same pages and I/O (default false: autovacuum removes the dead
    /// rows the backfill leaves, which keeps the table from bloating, and on a large table it can take many minutes).
    /// </summary>
    public bool WaitWhileVacuumed { get; set; }

    /// <summary>
    /// The backfill runs <c>VACUUM</c> on its table after every twentieth of its rows (default true): the row versions
    /// its batches replaced then free their room for the next batches' new versions, instead of the table growing by a
    /// page for every page walked (as a bulk UPDATE doubles it), and the dead index entries go. Faster on large tables
    /// and less bloat left behind; the vacuum never waits for a lock and takes none that readers or writers wait on
    /// (see <c>docs/operations.md</c>). Skipped when the backfill's role may not vacuum the table.
    /// </summary>
    public bool VacuumAsItGoes { get; set; } = true;

    /// <summary>
    /// How many passes a heap walk makes over each range of pages, each updating its share of the rows (tests change it;
    /// 1 for a table whose indexes read a column the backfill sets, where no update can be HOT). Four: the first pass's
    /// rows move off their full pages, and the room their old versions leave takes the next passes' new versions on the
    /// same page, with no new index entries; at 1M rows of the reference table one pass took 17.7-19.0 s, three passes
    /// 14.6-15.0 s (51% of the updates HOT), four 12.8 s (57%) (docs/benchmarks.md).
    /// </summary>
    internal int PagePasses { get; set; } = 4;

    /// <summary>The fewest rows updated between two vacuums of <see cref="VacuumAsItGoes"/> (tests lower it to vacuum small tables).</summary>
    internal long VacuumMinRows { get; set; } = 50_000;

    /// <summary>
    /// Batches wait while the server writes more WAL per second than this (default none): the backfill's own batches
    /// are spaced to stay under it, and while other sessions alone write more, no batch starts. Replicas, archiving
    /// and backups read that WAL.
    /// </summary>
    public long? MaxWalBytesPerSecond { get; set; }

    /// <summary>
    /// Batches wait while another transaction in the database has held its snapshot for longer than this
    /// (default 15 min; null: never): every row version the backfill replaces stays in the table until that snapshot
    /// is gone, so writing on would only grow the table.
    /// </summary>
    public TimeSpan? MaxSnapshotAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// The application's latency as a query the user names (default none), used when <see cref="ClientLatency"/> is not
    /// set: run on the backfill's connection after each batch, it returns one number, milliseconds (or an
    /// <c>interval</c>), e.g. the p99 of the last minute from a table the application's metrics land in.
    /// </summary>
    public string? ClientLatencyQuery { get; set; }

    /// <summary>How often a waiting backfill looks again at what holds it (default 500 ms).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Yields to traffic: after each batch the backfill asks for the application's current client latency (for
    /// example the p99 of the last second, from the application's own metrics). While it is above
    /// <see cref="TargetClientLatency"/> the backfill doubles its pause between batches (up to
    /// <see cref="MaxYieldPause"/>); while it is below, it halves the pause again.
    /// Default none: the backfill runs at the speed of <see cref="TargetBatchDuration"/> and <see cref="Pause"/>.
    /// </summary>
    public Func<CancellationToken, ValueTask<TimeSpan>>? ClientLatency { get; set; }

    /// <summary>The client latency that <see cref="ClientLatency"/> is kept under. Default 50 ms.</summary>
    public TimeSpan TargetClientLatency { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest pause between batches while yielding to traffic. Default 5 seconds.</summary>
    public TimeSpan MaxYieldPause { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Called after each batch with the progress so far.</summary>
    public Action<BackfillProgress>? OnProgress { get; set; }
}

/// <summary>A backfill's progress after a batch.</summary>
/// <param name="Table">The table, <c>schema.name</c>.</param>
/// <param name="RowsDone">Rows updated so far (including before a resume).</param>
/// <param name="RowsVisited">Rows (or heap pages, when the backfill walks the heap) gone through so far in this run.</param>
/// <param name="Total">Rows (or heap pages) to go through, estimated at the start.</param>
/// <param name="RowsPerSecond">Updated rows per second in this run.</param>
/// <param name="Remaining">The estimated time left, when it can be told.</param>
/// <param name="BatchSize">The size of the next batch.</param>
/// <param name="Done">True after the last batch.</param>
/// <param name="Waiting">Why no batch runs now (paused by an operator, a throttle's condition), or null while batches run.</param>
/// <param name="LastBatch">How long the last batch took: its statement, the look at the database that travels with it, the commit and the round trip: how long it held its row locks.</param>
public sealed record BackfillProgress(string Table, long RowsDone, long RowsVisited, long Total, double RowsPerSecond, TimeSpan? Remaining, int BatchSize, bool Done,
    string? Waiting = null, TimeSpan LastBatch = default);
