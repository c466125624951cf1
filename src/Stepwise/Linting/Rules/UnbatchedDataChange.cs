using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>
/// UPDATE or DELETE of a whole existing table in one statement, or a data change in the same transaction
/// as DDL on the same table: row locks and the DDL's lock are held for the whole change.
/// </summary>
public sealed class UnbatchedDataChange : LintRule
{
    /// <inheritdoc />
    public override string Id => "unbatched-data-change";

    /// <inheritdoc />
    public override string Title => "Change data in batches, apart from DDL";

    /// <inheritdoc />
    public override bool ScalesWithTableSize => true;

    /// <inheritdoc />
    public override string Why =>
        "UPDATE and DELETE take ROW EXCLUSIVE on the table and lock every row they change until their transaction commits. Without a WHERE clause "
        + "that is every row of the table in one transaction: concurrent updates and deletes of those rows wait for all of it, VACUUM cannot clean up "
        + "behind it, and the table is left with a dead copy of each changed row. In the same transaction as DDL on that table it is worse: the DDL's "
        + "lock (ACCESS EXCLUSIVE for most ALTER TABLE, SHARE for CREATE INDEX) is also held until commit, so reads or writes of the table are "
        + "blocked for as long as the data change takes.";

    /// <inheritdoc />
    public override string Fix =>
        "Change the rows in batches by key range, each batch committing on its own, in a migration separate from the DDL: a "
        + "-- stepwise:no-transaction section commits each statement by itself.";

    /// <inheritdoc />
    public override string FixExample =>
        "-- stepwise:up\n-- stepwise:no-transaction\nUPDATE workflow_runs SET status = 'done' WHERE id >= 0 AND id < 50000 AND status IS NULL;\n"
        + "UPDATE workflow_runs SET status = 'done' WHERE id >= 50000 AND id < 100000 AND status IS NULL;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        if (statement.InFunctionBody)
        {
            return;
        }
        if (DataChange(statement) is { } changed)
        {
            CheckDataChange(statement, changed, context);
        }
        else
        {
            CheckDdlAfterDataChange(statement, context);
        }
    }

    private static void CheckDataChange(LintStatement statement, RelationName table, LintContext context)
    {
        if (context.IsCreatedInFile(table))
        {
            return;
        }
        var verb = statement.Tree.CommandTag;
        var everyRow = statement.Tree.Root.Node("whereClause").IsMissing;
        var ddl = SameTransaction(statement, context)
            .Where(e => DataChange(e) is null)
            .Select(e => (Statement: e, Lock: HeldLocks.On(e.Tree, table)))
            .LastOrDefault(e => e.Lock.ConflictsWith(LockLevel.RowExclusive));
        if (ddl.Statement is not null)
        {
            context.Report(statement,
                $"{verb} {table}{(everyRow ? " without WHERE" : "")} runs in the same transaction as the {ddl.Statement.Tree.CommandTag} at line {ddl.Statement.Line}, "
                + $"which holds {ddl.Lock.ToSql()} on {table} until commit: it {ddl.Lock.Blocks()} for as long as the {verb} takes",
                table);
        }
        else if (everyRow)
        {
            context.Report(statement,
                $"{verb} without WHERE {(verb == "DELETE" ? "deletes" : "changes")} every row of {table} in one transaction: it takes ROW EXCLUSIVE and locks each row "
                + "until commit, so concurrent writes to those rows wait for the whole statement",
                table);
        }
    }

    private static void CheckDdlAfterDataChange(LintStatement statement, LintContext context)
    {
        if (!statement.InTransaction
            || !context.EarlierInTransaction(statement).Any(e => e.Tree.Kind is "UpdateStmt" or "DeleteStmt"))
        {
            return; // no data change earlier in this transaction
        }
        var blocking = StatementLocks.For(statement.Tree).Where(l => l.Level.ConflictsWith(LockLevel.RowExclusive) && !context.IsCreatedInFile(l.Relation)).ToList();
        if (blocking.Count == 0)
        {
            return;
        }
        var earlier = SameTransaction(statement, context).Where(e => DataChange(e) is not null).ToList();
        foreach (var held in blocking)
        {
            if (earlier.LastOrDefault(e => LintContext.Normalize(DataChange(e)!.Value) == LintContext.Normalize(held.Relation)) is { } change)
            {
                context.Report(statement,
                    $"{statement.Tree.CommandTag} takes {held.Level.ToSql()} on {held.Relation} in the same transaction as the {change.Tree.CommandTag} at line {change.Line}: "
                    + $"the changed rows stay locked while it waits for its lock, and then it {held.Level.Blocks()} until the whole transaction commits",
                    held.Relation);
                return;
            }
        }
    }

    /// <summary>The table an UPDATE or DELETE changes; null for other statements.</summary>
    private static RelationName? DataChange(LintStatement statement) =>
        statement.Tree.Kind is "UpdateStmt" or "DeleteStmt" ? statement.Tree.Target : null;

    /// <summary>Earlier statements of the same transaction block (none for an autocommit statement).</summary>
    private static IEnumerable<LintStatement> SameTransaction(LintStatement statement, LintContext context) =>
        statement.InTransaction
            ? context.EarlierInTransaction(statement).Where(e => !e.InFunctionBody)
            : [];
}
