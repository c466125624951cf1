namespace Stepwise.Execution.Backfill;

/// <summary>How a backfill paces itself.</summary>
public sealed class BackfillOptions
{
    /// <summary>
    /// How long one batch (one transaction, holding its row locks) may take; the batch size adapts so that batches take
    /// about 80% of it, leaving room for a slower one. Default 200 ms.
    /// </summary>
    public TimeSpan TargetBatchDuration { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The first batch's size (rows, or heap pages for a table without a primary key).</summary>
    public int InitialBatchSize { get; set; } = 1_000;

    /// <summary>The smallest batch.</summary>
    public int MinBatchSize { get; set; } = 100;

    /// <summary>The largest batch.</summary>
    public int MaxBatchSize { get; set; } = 200_000;

    /// <summary>A pause after each batch, leaving room to other traffic. Default none.</summary>
    public TimeSpan Pause { get; set; } = TimeSpan.Zero;

    /// <summary>When set, batches wait while a streaming replica's replay lag is above this.</summary>
    public TimeSpan? MaxReplicationLag { get; set; }

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
/// <param name="RowsVisited">Rows (or pages, without a primary key) gone through so far in this run.</param>
/// <param name="Total">Rows (or pages) to go through, estimated at the start.</param>
/// <param name="RowsPerSecond">Updated rows per second in this run.</param>
/// <param name="Remaining">The estimated time left, when it can be told.</param>
/// <param name="BatchSize">The size of the next batch.</param>
/// <param name="Done">True after the last batch.</param>
public sealed record BackfillProgress(string Table, long RowsDone, long RowsVisited, long Total, double RowsPerSecond, TimeSpan? Remaining, int BatchSize, bool Done);
