using Microsoft.Extensions.Logging;
using Stepwise.Migrations;

namespace Stepwise.Execution;

/// <summary>How a <see cref="Migrator"/> connects, where history lives, and how patient it is.</summary>
public sealed class MigratorOptions
{
    /// <summary>The database: an Npgsql connection string or a postgres:// URL.</summary>
    public required string Database { get; set; }

    /// <summary>The migration directory.</summary>
    public required string Directory { get; set; }

    /// <summary>
    /// Where the migration files are read from when not the folder <see cref="Directory"/>, e.g. embedded
    /// resources (<see cref="MigrationSource.FromEmbeddedResources"/>); its <see cref="MigrationSource.Path"/>
    /// names the files in messages. Null (the default) reads <see cref="Directory"/>.
    /// </summary>
    public MigrationSource? Source { get; set; }

    /// <summary>Schema holding Stepwise's history (default <c>stepwise</c>).</summary>
    public string StateSchema { get; set; } = "stepwise";

    /// <summary><c>lock_timeout</c> for migration statements (default 2 s); a file's directive overrides it.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary><c>statement_timeout</c> for migration statements (default none); a file's directive overrides it.</summary>
    public TimeSpan? StatementTimeout { get; set; }

    /// <summary>How many times a statement (or transaction) that hit <c>lock_timeout</c> is tried again (default 10).</summary>
    public int LockRetries { get; set; } = 10;

    /// <summary>First wait before a retry; it doubles each time, with jitter, up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between retries (default 30 s).</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary><c>application_name</c> of Stepwise's connections, so DBAs see who is running (default <c>stepwise</c>).</summary>
    public string ApplicationName { get; set; } = "stepwise";

    /// <summary>When false, a second runner fails at once instead of waiting for the migration lock.</summary>
    public bool WaitForLock { get; set; } = true;

    /// <summary>Where progress and waits are reported.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>
    /// lock_timeout for the steps of operation migrations (default 50 ms). Short on purpose: while a step waits
    /// for a lock that conflicts with writes (ADD COLUMN, a foreign key, SET NOT NULL), every client queues behind
    /// it, so the wait is the client's; a step that gives up is retried (<see cref="StepLockRetries"/>, backoff up to
    /// 5 s). Backfill batches use <see cref="LockTimeout"/>: they queue nobody.
    /// </summary>
    public TimeSpan StepLockTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How often a step of an operation migration that hit <see cref="StepLockTimeout"/> is retried (default 40: a few minutes in all, e.g. behind an autovacuum).</summary>
    public int StepLockRetries { get; set; } = 40;

    /// <summary>The longest wait between retries of a step (default 5 s); the first is about <see cref="StepLockTimeout"/>, doubling.</summary>
    public TimeSpan StepRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How backfills of operation migrations pace themselves.</summary>
    public Backfill.BackfillOptions Backfill { get; set; } = new();

    /// <summary>
    /// Called before each statement of a statement-by-statement section runs, with the work connection's
    /// backend pid; what it returns is disposed when the statement is done. The verifier measures locks with it.
    /// </summary>
    internal Func<Sql.SqlStatement, int, CancellationToken, Task<IAsyncDisposable?>>? StatementProbe { get; set; }
}
