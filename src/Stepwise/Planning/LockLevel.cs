namespace Stepwise.Planning;

/// <summary>
/// PostgreSQL's table-level lock modes, weakest first. The numbers are PostgreSQL's own
/// (<c>AccessShareLock</c> = 1 ... <c>AccessExclusiveLock</c> = 8), so a larger value is the
/// "stronger" lock in the sense PostgreSQL uses when a command needs several: it keeps the larger.
/// </summary>
public enum LockLevel
{
    /// <summary>No table-level lock.</summary>
    None = 0,

    /// <summary>ACCESS SHARE: plain SELECT.</summary>
    AccessShare = 1,

    /// <summary>ROW SHARE: SELECT ... FOR UPDATE / FOR SHARE.</summary>
    RowShare = 2,

    /// <summary>ROW EXCLUSIVE: INSERT, UPDATE, DELETE, MERGE.</summary>
    RowExclusive = 3,

    /// <summary>SHARE UPDATE EXCLUSIVE: VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT, ...</summary>
    ShareUpdateExclusive = 4,

    /// <summary>SHARE: CREATE INDEX without CONCURRENTLY.</summary>
    Share = 5,

    /// <summary>SHARE ROW EXCLUSIVE: CREATE TRIGGER, ADD FOREIGN KEY, ENABLE/DISABLE TRIGGER.</summary>
    ShareRowExclusive = 6,

    /// <summary>EXCLUSIVE: REFRESH MATERIALIZED VIEW CONCURRENTLY.</summary>
    Exclusive = 7,

    /// <summary>ACCESS EXCLUSIVE: DROP, TRUNCATE, most ALTER TABLE forms; the default of LOCK TABLE.</summary>
    AccessExclusive = 8,
}

/// <summary>Names and conflicts of <see cref="LockLevel"/> values, as PostgreSQL documents them.</summary>
public static class LockLevelExtensions
{
    // Bit i set: conflicts with the level whose value is i. Transcribed from the conflict table in
    // PostgreSQL's "Explicit Locking" chapter (13.3.1).
    private const int AS = 1 << 1, RS = 1 << 2, RE = 1 << 3, SUE = 1 << 4, S = 1 << 5, SRE = 1 << 6, E = 1 << 7, AE = 1 << 8;

    private static readonly int[] s_conflicts =
    [
        0,                                  // None
        AE,                                 // ACCESS SHARE
        E | AE,                             // ROW SHARE
        S | SRE | E | AE,                   // ROW EXCLUSIVE
        SUE | S | SRE | E | AE,             // SHARE UPDATE EXCLUSIVE
        RE | SUE | SRE | E | AE,            // SHARE
        RE | SUE | S | SRE | E | AE,        // SHARE ROW EXCLUSIVE
        RS | RE | SUE | S | SRE | E | AE,   // EXCLUSIVE
        AS | RS | RE | SUE | S | SRE | E | AE, // ACCESS EXCLUSIVE
    ];

    /// <summary>
    /// The mode's name as written in SQL (<c>LOCK TABLE t IN ACCESS EXCLUSIVE MODE</c>), e.g.
    /// <c>ACCESS EXCLUSIVE</c>; <c>NONE</c> for <see cref="LockLevel.None"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined <see cref="LockLevel"/>.</exception>
    public static string ToSql(this LockLevel level) => level switch
    {
        LockLevel.None => "NONE",
        LockLevel.AccessShare => "ACCESS SHARE",
        LockLevel.RowShare => "ROW SHARE",
        LockLevel.RowExclusive => "ROW EXCLUSIVE",
        LockLevel.ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
        LockLevel.Share => "SHARE",
        LockLevel.ShareRowExclusive => "SHARE ROW EXCLUSIVE",
        LockLevel.Exclusive => "EXCLUSIVE",
        LockLevel.AccessExclusive => "ACCESS EXCLUSIVE",
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "Not a PostgreSQL lock mode."),
    };

    /// <summary>
    /// What holding this lock does to other sessions, as a short phrase for messages
    /// ("takes ACCESS EXCLUSIVE on t, which blocks reads and writes").
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined <see cref="LockLevel"/>.</exception>
    public static string Blocks(this LockLevel level) => level switch
    {
        LockLevel.None => "blocks nothing",
        LockLevel.AccessShare => "blocks nothing ordinary, only ACCESS EXCLUSIVE locks",
        LockLevel.RowShare => "blocks nothing ordinary, only EXCLUSIVE and ACCESS EXCLUSIVE locks",
        LockLevel.RowExclusive => "blocks CREATE INDEX, CREATE TRIGGER and most ALTER TABLE, but not reads or writes",
        LockLevel.ShareUpdateExclusive => "blocks schema changes and VACUUM, but not reads or writes",
        LockLevel.Share => "blocks writes",
        LockLevel.ShareRowExclusive => "blocks writes",
        LockLevel.Exclusive => "blocks writes and SELECT ... FOR UPDATE/SHARE; plain reads go on",
        LockLevel.AccessExclusive => "blocks reads and writes",
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "Not a PostgreSQL lock mode."),
    };

    /// <summary>
    /// True when a session holding <paramref name="level"/> makes another session's request for
    /// <paramref name="other"/> on the same table wait (the relation is symmetric).
    /// <see cref="LockLevel.None"/> conflicts with nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Either value is not a defined <see cref="LockLevel"/>.</exception>
    public static bool ConflictsWith(this LockLevel level, LockLevel other)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)level, (uint)LockLevel.AccessExclusive, nameof(level));
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)other, (uint)LockLevel.AccessExclusive, nameof(other));
        return (s_conflicts[(int)level] & (1 << (int)other)) != 0;
    }
}
