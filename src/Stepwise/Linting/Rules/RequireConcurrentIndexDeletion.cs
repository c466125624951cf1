using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the index's table.</summary>
public sealed class RequireConcurrentIndexDeletion : LintRule
{
    /// <inheritdoc />
    public override string Id => "require-concurrent-index-deletion";

    /// <inheritdoc />
    public override string Title => "Drop indexes concurrently";

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override string Why =>
        "DROP INDEX takes ACCESS EXCLUSIVE on the table the index belongs to, not just on the index. The drop itself is quick, " +
        "but the lock has to wait for every query already running on the table, and every query that arrives meanwhile, " +
        "reads included, queues behind it: one long report or idle-in-transaction session turns a millisecond drop into an " +
        "outage of the table. Inside a transaction the lock is then held until it commits.";

    /// <inheritdoc />
    public override string Fix =>
        "Drop it with DROP INDEX CONCURRENTLY: it takes SHARE UPDATE EXCLUSIVE, which lets reads and writes go on, and waits for " +
        "the queries using the index to finish. It drops one index per statement and cannot run in a transaction block " +
        "(Stepwise runs such a migration statement by statement).";

    /// <inheritdoc />
    public override string FixExample => "DROP INDEX CONCURRENTLY IF EXISTS workflow_runs_org_idx;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        var root = statement.Tree.Root;
        if (root.Kind != "DropStmt" || root.String("removeType") != "OBJECT_INDEX" || root.Bool("concurrent"))
        {
            return;
        }
        var indexes = root.Nodes("objects").Select(o => o.Names("items")).Where(n => n.Count > 0)
            .Select(n => new RelationName(n.Count >= 2 ? n[^2] : null, n[^1])).ToList();
        var tables = indexes.Select(i => IndexTables.TableOf(i, context)).ToList();
        // Only a table made in this file is exempt, so every index's table must be known to be one.
        if (indexes.Count == 0 || tables.All(t => t is { } table && context.IsCreatedInFile(table)))
        {
            return;
        }
        var lockName = StatementLocks.For(statement.Tree).Select(l => l.Level).DefaultIfEmpty(LockLevel.AccessExclusive).Max().ToSql();
        var table = tables.FirstOrDefault(t => t is { } known && !context.IsCreatedInFile(known));
        var on = table is { } named ? named.ToString() : "the index's table";
        context.Report(statement,
            $"DROP INDEX {string.Join(", ", indexes)} without CONCURRENTLY takes {lockName} on {on}: reads and writes queue behind it " +
            $"{HeldLocks.Until(statement, "the drop ends")}, and it first waits for every query already running there", table);
    }
}
