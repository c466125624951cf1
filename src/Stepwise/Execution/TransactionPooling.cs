using Npgsql;

namespace Stepwise.Execution;

/// <summary>
/// Refuses a run through a connection pooler in transaction mode (PgBouncer's <c>pool_mode = transaction</c>, a
/// provider's pooled port). Stepwise's migration lock and its session settings (<c>lock_timeout</c>) belong to one
/// server session for the whole run; a transaction-mode pooler hands each transaction to whichever server session is
/// free, so the lock would stay behind on a session other clients then use, and a second runner handed that session
/// would take the lock as its own (an advisory lock is re-entrant in its session).
/// </summary>
internal static class TransactionPooling
{
    /// <summary>How long a connection waits for the pooler to give it a server session during the check.</summary>
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Npgsql keeps the process id the server announced when the connection opened; a pooler announces one of its own,
    /// so the two differ only behind a pooler. There, <paramref name="other"/> opens a transaction while
    /// <paramref name="connection"/> is idle: a transaction-mode pooler hands it <paramref name="connection"/>'s server
    /// session (the one released last), or gives <paramref name="connection"/> another (or none) for its next
    /// statement; a session-mode pooler does neither.
    /// </summary>
    /// <exception cref="MigrationRefusedException">The connections go through a pooler in transaction mode.</exception>
    public static async Task ThrowIfPooledAsync(NpgsqlConnection connection, NpgsqlConnection other, CancellationToken cancellationToken)
    {
        var first = await PidAsync(connection, cancellationToken);
        if (first is null || first == connection.ProcessID)
        {
            return; // directly connected
        }
        int? taken, again;
        await using (var tx = await other.BeginTransactionAsync(cancellationToken))
        {
            taken = await PidAsync(other, cancellationToken, tx);
            again = await PidAsync(connection, cancellationToken);
            if (taken is not null)
            {
                await tx.RollbackAsync(cancellationToken);
            }
        }
        if (taken is null || (taken != first && again == first))
        {
            return; // a session-mode pooler: each connection keeps its server session (or the pool has no other to give)
        }
        throw new MigrationRefusedException(
            "Stepwise is connected through a connection pooler in transaction mode (such as PgBouncer's pool_mode = transaction, or a provider's pooled port): " +
            "its migration lock and its session settings need one server session for the whole run, and the pooler gives each transaction whichever session is free, " +
            "so the lock would stay on a session other clients use and two runners could both hold it. Nothing was changed. Connect Stepwise to PostgreSQL directly " +
            "(the provider's direct or session port) or through a pool in session mode; the application can keep using the pooler");
    }

    /// <summary>The server process the next statement runs in; null when the pooler gives none within <see cref="s_wait"/>.</summary>
    private static async Task<int?> PidAsync(NpgsqlConnection connection, CancellationToken cancellationToken, NpgsqlTransaction? tx = null)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(s_wait);
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection, tx);
            return (int)(await command.ExecuteScalarAsync(wait.Token))!;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is OperationCanceledException or NpgsqlException)
        {
            return null;
        }
    }
}
