using Microsoft.Extensions.Logging;
using Npgsql;
using Stepwise.Sql;

namespace Stepwise.Execution;

/// <summary>What the runners of SQL sections and of operation plans share around a statement: preparing one
/// that runs outside a transaction, and the backoff between lock-timeout retries.</summary>
internal static class OutsideTransaction
{
    /// <summary>
    /// Before a statement that runs outside a transaction: an interrupted CREATE INDEX CONCURRENTLY
    /// leaves an INVALID index that would make the retry fail, so it is dropped first; and when
    /// resuming, a build (or drop) that finished before the crash is not done twice.
    /// Returns false when the statement's effect is already there. <paramref name="where"/> names it in log lines.
    /// </summary>
    public static async Task<bool> PrepareAsync(NpgsqlConnection work, SqlStatement statement, bool retrying, string where, ILogger logger, CancellationToken cancellationToken)
    {
        if (statement.Tree?.Index is { Concurrent: true, Name: { } name } index)
        {
            var qualified = Quote.Ident(index.Table.Schema, name);
            await using var command = new NpgsqlCommand("SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass($1)", work);
            command.Parameters.AddWithValue(qualified);
            var valid = await command.ExecuteScalarAsync(cancellationToken) as bool?;
            if (valid == false)
            {
                logger.LogWarning(EventIds.DroppingInvalidIndex, "{Where}: dropping the INVALID index {Index} left by an interrupted concurrent build before building it again",
                    where, qualified);
                await using var drop = new NpgsqlCommand("DROP INDEX CONCURRENTLY IF EXISTS " + qualified, work);
                await drop.ExecuteNonQueryAsync(cancellationToken);
                return true;
            }
            if (valid == true && retrying && !index.IfNotExists)
            {
                logger.LogInformation(EventIds.AlreadyDone, "{Where}: index {Index} was built before the interruption; not building it again",
                    where, qualified);
                return false;
            }
        }
        else if (retrying && statement.Tree?.Root is { Kind: "DropStmt" } drop && drop.Bool("concurrent") && !drop.Bool("missing_ok")
            && drop.String("removeType") == "OBJECT_INDEX" && drop.Nodes("objects").FirstOrDefault() is { Kind: "List" } dropped)
        {
            var parts = dropped.Names("items");
            var qualified = parts.Count == 2 ? Quote.Ident(parts[0], parts[1]) : Quote.Ident(parts[^1]);
            await using var command = new NpgsqlCommand("SELECT to_regclass($1) IS NULL", work);
            command.Parameters.AddWithValue(qualified);
            if ((bool)(await command.ExecuteScalarAsync(cancellationToken))!)
            {
                logger.LogInformation(EventIds.AlreadyDone, "{Where}: index {Index} was dropped before the interruption; not dropping it again",
                    where, qualified);
                return false;
            }
        }
        return true;
    }

    /// <summary>Exponential backoff from <paramref name="baseDelay"/>, capped at <paramref name="maxDelay"/>, with jitter (half to all of it).</summary>
    public static TimeSpan Backoff(int attempt, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        var cap = Math.Min(maxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, attempt));
        return TimeSpan.FromMilliseconds(cap * (0.5 + (Random.Shared.NextDouble() / 2)));
    }
}
