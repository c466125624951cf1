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

    /// <summary>How backfills of operation migrations pace themselves.</summary>
    public Backfill.BackfillOptions Backfill { get; set; } = new();

    /// <summary>
    /// Called before each statement of a statement-by-statement section runs, with the work connection's
    /// backend pid; what it returns is disposed when the statement is done. The verifier measures locks with it.
    /// </summary>
    internal Func<Sql.SqlStatement, int, CancellationToken, Task<IAsyncDisposable?>>? StatementProbe { get; set; }
}
