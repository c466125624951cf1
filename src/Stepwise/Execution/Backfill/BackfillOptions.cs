namespace Stepwise.Execution.Backfill;

/// <summary>How a backfill paces itself.</summary>
public sealed class BackfillOptions
{
    /// <summary>
    /// How long one batch (one transaction, holding its row locks) should take; the batch size adapts so that batches take
    /// about 80% of it, leaving room for a slower one. A batch whose update runs past 1.125 times it (and 50 ms) is cancelled and
    /// retried smaller, so none holds its rows much past 1.25 times it. Default 200 ms.
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
    /// How a heap walk splits each range of pages into passes: the shares of every page's rows (by line pointer number
    /// modulo the shares' sum, 16 here) that each pass updates, in order; <c>[16]</c> is one pass (tests and the bench
    /// change it; a table whose indexes read a column the backfill sets, where no update can be HOT, always gets one).
    /// The first pass's rows move off their full pages; the room their old versions leave takes the next passes' new
    /// versions on the same page, HOT, with no new index entry. A new version is larger than the old one when the
    /// backfill fills a column that was NULL (16 bytes more for a uuid), so each pass frees a little less room than the
    /// next one needs: the first pass is the largest and the last ones the smallest. On the reference table 69% of the
    /// updates are HOT (four equal passes: 57%; eight in thirty-seconds: 72%, but slower for the passes added), and a
    /// 5M-row backfill from psql took 64-68 s against 77-81 s (docs/benchmarks.md).
    /// </summary>
    internal int[] PassShares { get; set; } = [5, 3, 3, 2, 2, 1];

    /// <summary>The fewest rows updated between two vacuums of <see cref="VacuumAsItGoes"/> (tests lower it to vacuum small tables).</summary>
    internal long VacuumMinRows { get; set; } = 50_000;

    /// <summary>How many vacuums of <see cref="VacuumAsItGoes"/> a walk of the whole table runs at most (see <c>BackfillRunner.VacuumCadence</c>; the bench changes it).</summary>
    internal int VacuumsPerWalk { get; set; } = 20;

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
