using Microsoft.Extensions.Logging;
using Npgsql;
using Stepwise.Planning;

namespace Stepwise.Execution;

/// <summary>Preparing a statement that runs outside a transaction, from its step's <see cref="DoneCheck"/>.</summary>
internal static class OutsideTransaction
{
    /// <summary>
    /// Before a statement that runs outside a transaction: an interrupted CREATE INDEX CONCURRENTLY
    /// leaves an INVALID index that would make the retry fail, so it is dropped first; and when
    /// resuming, a build (or drop) that finished before the crash is not done twice.
    /// Returns false when the statement's effect is already there. <paramref name="where"/> names it in log lines.
    /// </summary>
    public static async Task<bool> PrepareAsync(NpgsqlConnection work, DoneCheck? check, bool retrying, string where, ILogger logger, CancellationToken cancellationToken)
    {
        switch (check)
        {
            case { Kind: DoneCheckKind.IndexBuilt }:
            {
                await using var command = new NpgsqlCommand("SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass($1)", work);
                command.Parameters.AddWithValue(check.Index);
                var valid = await command.ExecuteScalarAsync(cancellationToken) as bool?;
                if (valid == false)
                {
                    logger.LogWarning(EventIds.DroppingInvalidIndex, "{Where}: dropping the INVALID index {Index} left by an interrupted concurrent build before building it again",
                        where, check.Index);
                    await using var drop = new NpgsqlCommand("DROP INDEX CONCURRENTLY IF EXISTS " + check.Index, work);
                    await drop.ExecuteNonQueryAsync(cancellationToken);
                    return true;
                }
                if (valid == true && retrying && !check.IfNotExists)
                {
                    logger.LogInformation(EventIds.AlreadyDone, "{Where}: index {Index} was built before the interruption; not building it again", where, check.Index);
                    return false;
                }
                return true;
            }
            case { Kind: DoneCheckKind.IndexDropped } when retrying:
            {
                await using var command = new NpgsqlCommand("SELECT to_regclass($1) IS NULL", work);
                command.Parameters.AddWithValue(check.Index);
                if ((bool)(await command.ExecuteScalarAsync(cancellationToken))!)
                {
                    logger.LogInformation(EventIds.AlreadyDone, "{Where}: index {Index} was dropped before the interruption; not dropping it again", where, check.Index);
                    return false;
                }
                return true;
            }
            default:
                return true;
        }
    }
}
