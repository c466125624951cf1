using Microsoft.Extensions.Logging;
using Stepwise.Execution.Locking;
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

    /// <summary>
    /// <c>lock_timeout</c> for backfill batches (default 2 s): they take only ROW EXCLUSIVE, so nobody queues behind
    /// them. Statements that take locks conflicting with traffic follow the lock policy instead
    /// (<see cref="StepLockTimeout"/>, <see cref="MaxLockWait"/>, <see cref="LockDeadline"/>); a file's
    /// <c>lock-timeout</c> directive pins that file's lock_timeout.
    /// </summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary><c>statement_timeout</c> for migration statements (default none); a file's directive overrides it.</summary>
    public TimeSpan? StatementTimeout { get; set; }

    /// <summary><c>application_name</c> of Stepwise's connections, so DBAs see who is running (default <c>stepwise</c>).</summary>
    public string ApplicationName { get; set; } = "stepwise";

    /// <summary>When false, a second runner fails at once instead of waiting for the migration lock.</summary>
    public bool WaitForLock { get; set; } = true;

    /// <summary>Where progress and waits are reported.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>
    /// The first lock_timeout of every statement that takes a lock (default 50 ms): steps of operation migrations
    /// and statements of SQL migrations. Short on purpose: while a statement waits for a lock that conflicts with
    /// traffic, every client that comes after it queues behind it. When attempts keep timing out behind short
    /// transactions it rises toward what the table's own transactions take, up to <see cref="MaxLockWait"/>.
    /// </summary>
    public TimeSpan StepLockTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The longest lock_timeout (default 1 s): the worst wait a client can see behind a statement queued for its
    /// lock. Holders whose transaction is already older than this are waited out (polling) rather than queued behind.
    /// </summary>
    public TimeSpan MaxLockWait { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one statement keeps trying to get its locks before the run stops, resumable, naming the blockers (default 30 min).</summary>
    public TimeSpan LockDeadline { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Cancel an autovacuum (not one preventing wraparound) that holds a conflicting lock, as PostgreSQL itself
    /// does after deadlock_timeout (default true). Needs a superuser (or, on PostgreSQL 18, pg_signal_autovacuum_worker).
    /// </summary>
    public bool CancelAutovacuum { get; set; } = true;

    /// <summary>When set, a session idle in transaction for longer than this, holding a conflicting lock, is terminated (default: never; it is reported).</summary>
    public TimeSpan? TerminateIdleInTransactionAfter { get; set; }

    /// <summary>Called every few seconds while a statement waits for its locks (<see cref="LockWait.At"/> says when), and with null when that wait is over.</summary>
    public Action<LockWait?>? LockWaitChanged { get; set; }

    /// <summary>
    /// Application instances: client patterns, how <c>complete</c> treats instances of an older version (refuse, wait,
    /// force), and per-version roles for connection poolers.
    /// </summary>
    public Instances.InstanceOptions Instances { get; set; } = new();

    /// <summary>How backfills of operation migrations pace themselves.</summary>
    public Backfill.BackfillOptions Backfill { get; set; } = new();

    /// <summary>Replaces the policy the options above describe (the benchmark compares earlier policies with it).</summary>
    internal LockPolicy? LockPolicy { get; set; }

    /// <summary>
    /// Called before each statement of a statement-by-statement section runs, with the work connection's
    /// backend pid; what it returns is disposed when the statement is done. The verifier measures locks with it.
    /// </summary>
    internal Func<Sql.SqlStatement, int, CancellationToken, Task<IAsyncDisposable?>>? StatementProbe { get; set; }
}
