using Stepwise.Sql;

namespace Stepwise.Planning;

/// <summary>A table-level lock a statement takes.</summary>
/// <param name="Level">The lock mode; never <see cref="LockLevel.None"/> in <see cref="StatementLocks.For(StatementTree)"/>'s answer.</param>
/// <param name="Relation">The table, index, view or sequence locked, as the statement names it (not resolved through search_path).</param>
/// <param name="Reason">
/// Which part of the statement takes it, e.g. <c>ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY (referenced table)</c>;
/// several parts that take the same level are joined with "; ".
/// </param>
public sealed record TableLock(LockLevel Level, RelationName Relation, string Reason)
{
    /// <summary>For plans and messages: <c>ACCESS EXCLUSIVE on app.t (ALTER TABLE ... ADD COLUMN)</c>.</summary>
    public override string ToString() => $"{Level.ToSql()} on {Relation} ({Reason})";
}
