using System.Globalization;
using Stepwise.Planning;

namespace Stepwise.Execution.Locking;

/// <summary>What kind of session holds a lock, as far as the lock policy cares.</summary>
internal enum HolderKind
{
    /// <summary>A client transaction running a statement.</summary>
    Active,

    /// <summary>A client transaction doing nothing: <c>idle in transaction</c>.</summary>
    IdleInTransaction,

    /// <summary>An autovacuum worker PostgreSQL would cancel itself after <c>deadlock_timeout</c>.</summary>
    Autovacuum,

    /// <summary>An autovacuum worker preventing transaction-id wraparound: PostgreSQL never cancels it.</summary>
    WraparoundAutovacuum,

    /// <summary>A <c>VACUUM</c> someone started by hand.</summary>
    ManualVacuum,
}

/// <summary>
/// A session holding a lock that conflicts with the one a statement is about to request, read from
/// <c>pg_locks</c> and <c>pg_stat_activity</c>.
/// </summary>
/// <param name="Pid">Its backend pid.</param>
/// <param name="Application">Its <c>application_name</c>.</param>
/// <param name="Kind">What it is.</param>
/// <param name="TransactionAge">How long its transaction has been open.</param>
/// <param name="StateAge">How long it has been in its current state (idle in transaction for so long, say).</param>
/// <param name="Held">The strongest conflicting mode it holds.</param>
/// <param name="Relation">The relation it holds it on.</param>
/// <param name="Query">Its current (or last) statement, cut short.</param>
internal sealed record LockHolder(int Pid, string Application, HolderKind Kind, TimeSpan TransactionAge, TimeSpan StateAge, LockLevel Held, string Relation, string Query)
{
    /// <summary>For messages: <c>pid 4242 (idle in transaction for 12.0 s, application 'reports', transaction open 12.3 s, ACCESS SHARE on public.t, query: SELECT ...)</c>.</summary>
    public override string ToString()
    {
        var what = Kind switch
        {
            HolderKind.Autovacuum => "autovacuum",
            HolderKind.WraparoundAutovacuum => "autovacuum to prevent wraparound, which PostgreSQL never cancels",
            HolderKind.ManualVacuum => "manual VACUUM",
            HolderKind.IdleInTransaction => $"idle in transaction for {Seconds(StateAge)}",
            _ => "active",
        };
        var query = Query.ReplaceLineEndings(" ");
        return $"pid {Pid} ({what}, application '{Application}', transaction open {Seconds(TransactionAge)}, {Held.ToSql()} on {Relation}, query: {query})";
    }

    /// <summary><c>4.2 s</c>, <c>350 ms</c>.</summary>
    public static string Seconds(TimeSpan span) => span < TimeSpan.FromSeconds(1)
        ? string.Create(CultureInfo.InvariantCulture, $"{(long)span.TotalMilliseconds} ms")
        : string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.0} s");
}
