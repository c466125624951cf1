using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>The lock a linted statement takes on one table, as <see cref="StatementLocks"/> derives it, for messages.</summary>
internal static class StatementLock
{
    /// <summary>
    /// The level <paramref name="statement"/> takes on <paramref name="table"/>. ACCESS EXCLUSIVE when
    /// <see cref="StatementLocks"/> names none there, which does not happen for the statements these rules look at.
    /// </summary>
    internal static LockLevel On(LintStatement statement, RelationName table)
    {
        var wanted = LintContext.Normalize(table);
        return StatementLocks.For(statement.Tree).FirstOrDefault(l => LintContext.Normalize(l.Relation) == wanted)?.Level
            ?? LockLevel.AccessExclusive;
    }
}
