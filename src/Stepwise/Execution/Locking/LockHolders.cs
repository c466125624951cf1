using Npgsql;
using Stepwise.Planning;

namespace Stepwise.Execution.Locking;

/// <summary>
/// Reads who holds locks on a statement's relations that conflict with the modes it requests, before it queues
/// for them: once a request is queued, every later request on the table waits behind it.
/// </summary>
internal static class LockHolders
{
    private static readonly string[] s_modes = ["", "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"];

    /// <summary>The granted locks conflicting with <paramref name="targets"/>, one holder per session (its strongest such lock), oldest transaction first.</summary>
    /// <param name="observer">A connection other than the one that will request the locks.</param>
    /// <param name="targets">Quoted relation names (resolved with the observer's search_path) and the mode requested on each.</param>
    /// <param name="requester">The pid that will request them: its own locks are not in the way.</param>
    public static async Task<IReadOnlyList<LockHolder>> ReadAsync(NpgsqlConnection observer, IReadOnlyList<LockTarget> targets, int requester, CancellationToken cancellationToken)
    {
        if (targets.Count == 0)
        {
            return [];
        }
        await using var command = new NpgsqlCommand("""
            SELECT t.i, l.pid, coalesce(a.application_name, ''), coalesce(a.state, ''), coalesce(a.backend_type, ''),
                   coalesce(extract(epoch FROM clock_timestamp() - a.xact_start), 0)::float8,
                   coalesce(extract(epoch FROM clock_timestamp() - a.state_change), 0)::float8,
                   left(coalesce(a.query, ''), 200), l.mode
            FROM unnest($1::text[]) WITH ORDINALITY AS t(name, i)
            JOIN pg_locks l ON l.locktype = 'relation' AND l.granted AND l.relation = to_regclass(t.name)
                AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
            JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.pid <> pg_backend_pid() AND l.pid <> $2
            """, observer);
        command.Parameters.AddWithValue(targets.Select(t => t.Relation).ToArray());
        command.Parameters.AddWithValue(requester);
        var holders = new Dictionary<int, LockHolder>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var target = targets[(int)reader.GetInt64(0) - 1];
            var held = (LockLevel)Math.Max(0, Array.IndexOf(s_modes, reader.GetString(8)));
            if (!held.ConflictsWith(target.Level))
            {
                continue;
            }
            var holder = new LockHolder(reader.GetInt32(1), reader.GetString(2), Classify(reader.GetString(4), reader.GetString(3), reader.GetString(7)),
                TimeSpan.FromSeconds(reader.GetDouble(5)), TimeSpan.FromSeconds(reader.GetDouble(6)), held, target.Display, reader.GetString(7));
            if (!holders.TryGetValue(holder.Pid, out var seen) || seen.Held < held)
            {
                holders[holder.Pid] = holder;
            }
        }
        return [.. holders.Values.OrderByDescending(h => h.TransactionAge)];
    }

    internal static HolderKind Classify(string backendType, string state, string query) => backendType switch
    {
        "autovacuum worker" when query.Contains("to prevent wraparound", StringComparison.Ordinal) => HolderKind.WraparoundAutovacuum,
        "autovacuum worker" => HolderKind.Autovacuum,
        _ when state.StartsWith("idle in transaction", StringComparison.Ordinal) => HolderKind.IdleInTransaction,
        _ when query.TrimStart().StartsWith("vacuum", StringComparison.OrdinalIgnoreCase) => HolderKind.ManualVacuum,
        _ => HolderKind.Active,
    };
}

/// <summary>A relation a statement locks (quoted, as <c>to_regclass</c> takes it) and the mode it requests.</summary>
internal sealed record LockTarget(string Relation, string Display, LockLevel Level)
{
    /// <summary>The relations the statements lock, each with its strongest mode; relations that do not exist yet are left out by the reader.</summary>
    public static IReadOnlyList<LockTarget> Of(IEnumerable<Sql.SqlStatement> statements)
    {
        var strongest = new Dictionary<string, (string Display, LockLevel Level)>(StringComparer.Ordinal);
        foreach (var statement in statements)
        {
            if (statement.Tree is null)
            {
                continue;
            }
            foreach (var l in StatementLocks.For(statement.Tree))
            {
                var name = Sql.Quote.Ident(l.Relation.Schema, l.Relation.Name);
                strongest[name] = (l.Relation.ToString(), strongest.TryGetValue(name, out var seen) && seen.Level > l.Level ? seen.Level : l.Level);
            }
        }
        return [.. strongest.Select(p => new LockTarget(p.Key, p.Value.Display, p.Value.Level))];
    }

    /// <summary>For messages: <c>ACCESS EXCLUSIVE on public.t</c>.</summary>
    public override string ToString() => $"{Level.ToSql()} on {Display}";
}
