using Stepwise.Planning;

namespace Stepwise.Linting.Rules;

/// <summary>An explicit LOCK TABLE blocks the table for the rest of the transaction.</summary>
public sealed class LockTable : LintRule
{
    /// <inheritdoc />
    public override string Id => "lock-table";

    /// <inheritdoc />
    public override string Title => "Avoid explicit LOCK TABLE";

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override string Why =>
        "LOCK TABLE takes the lock at once and keeps it until the transaction ends, so everything the transaction does after " +
        "it (backfills, scans, waiting on other locks) happens while the table is blocked: in the default ACCESS EXCLUSIVE mode " +
        "for reads as well as writes, in SHARE and stronger modes for writes. Waiting for the lock is already an outage, because " +
        "queries that arrive meanwhile queue behind it. Migrations rarely need it: each statement takes the lock it needs itself.";

    /// <inheritdoc />
    public override string Fix =>
        "Leave the LOCK TABLE out and let each statement take its own lock. If several statements really must see the table " +
        "unchanged, lock in the weakest mode that gives that (SHARE blocks writes but not reads), keep the transaction short, " +
        "and keep lock_timeout set (Stepwise sets it) so a lock that cannot be had gives up instead of queueing everyone.";

    /// <inheritdoc />
    public override string FixExample =>
        "BEGIN;\nSET LOCAL lock_timeout = '2s';\nLOCK TABLE workflow_runs IN SHARE MODE;  -- blocks writes, not reads\n-- ... a few quick statements ...\nCOMMIT;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        if (statement.Tree.Kind != "LockStmt")
        {
            return;
        }
        var locks = StatementLocks.For(statement.Tree);
        if (!statement.InTransaction)
        {
            context.Report(statement,
                $"LOCK TABLE {string.Join(", ", locks.Select(l => l.Relation))} outside a transaction block fails: PostgreSQL accepts it only inside one (25P01)",
                severity: LintSeverity.Error);
            return;
        }
        // Weaker modes only keep out schema changes and VACUUM, not the application's reads and writes.
        var blocking = locks.Where(l => l.Level.ConflictsWith(LockLevel.RowExclusive) && !context.IsCreatedInFile(l.Relation)).ToList();
        if (blocking.Count == 0)
        {
            return;
        }
        var level = blocking.Max(l => l.Level);
        var tables = string.Join(", ", blocking.Select(l => l.Relation));
        context.Report(statement,
            $"LOCK TABLE {tables} IN {level.ToSql()} MODE holds {level.ToSql()} on {tables} until the transaction commits: " +
            $"{HeldLocks.Blocked(level, tables)} are blocked for everything the transaction does after it, and it first waits for every conflicting query already running", blocking[0].Relation);
    }
}
