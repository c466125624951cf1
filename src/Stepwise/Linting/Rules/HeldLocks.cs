using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>
/// The lock a statement takes on a table, as <see cref="StatementLocks"/> derives it, and how long it
/// is held: rules name locks from the same answer the planner gives instead of re-deriving them.
/// </summary>
internal static class HeldLocks
{
    /// <summary>The strongest lock <paramref name="tree"/> takes on <paramref name="table"/>; <see cref="LockLevel.None"/> when it takes none.</summary>
    public static LockLevel On(StatementTree tree, RelationName table)
    {
        var wanted = LintContext.Normalize(table);
        return StatementLocks.For(tree)
            .Where(l => LintContext.Normalize(l.Relation) == wanted)
            .Select(l => l.Level)
            .DefaultIfEmpty(LockLevel.None)
            .Max();
    }

    /// <summary>The ordinary traffic a lock on <paramref name="table"/> stops: "reads and writes of t", "writes to t", or "schema changes on t".</summary>
    public static string Blocked(LockLevel level, RelationName table) => Blocked(level, table.ToString());

    /// <summary>The same for several tables named together (<c>a, b</c>).</summary>
    public static string Blocked(LockLevel level, string tables) => level switch
    {
        >= LockLevel.AccessExclusive => $"reads and writes of {tables}",
        >= LockLevel.Share => $"writes to {tables}",
        _ => $"schema changes on {tables}",
    };

    /// <summary>
    /// "until the transaction commits" inside a transaction (PostgreSQL releases table locks only at
    /// its end), otherwise "until <paramref name="end"/>".
    /// </summary>
    public static string Until(LintStatement statement, string end) =>
        statement.InTransaction ? "until the transaction commits" : $"until {end}";
}
