using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>REINDEX without CONCURRENTLY blocks writes, and in practice reads, for the whole rebuild.</summary>
public sealed class RequireConcurrentReindex : LintRule
{
    /// <inheritdoc />
    public override string Id => "require-concurrent-reindex";

    /// <inheritdoc />
    public override string Title => "Rebuild indexes concurrently";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override bool ScalesWithTableSize => true;

    /// <inheritdoc />
    public override LockedWork Work => LockedWork.IndexBuild;

    /// <inheritdoc />
    public override string Why =>
        "REINDEX rebuilds each index from scratch while holding SHARE on its table, which blocks INSERT, UPDATE and DELETE, and " +
        "ACCESS EXCLUSIVE on the index being rebuilt. The second lock stops more than the queries that use the index: the " +
        "planner locks every index of a table to plan any query on it, so nearly all reads wait too (only prepared statements " +
        "with a cached plan that does not use the index get through). On a big table the rebuild takes minutes.";

    /// <inheritdoc />
    public override string Fix =>
        "Use REINDEX ... CONCURRENTLY (PostgreSQL 12+): it builds a new copy of each index beside the old one under SHARE UPDATE " +
        "EXCLUSIVE, so reads and writes go on, then swaps them. It cannot run in a transaction block (Stepwise runs such a " +
        "migration statement by statement); if it fails it can leave an INVALID index named ..._ccnew to drop.";

    /// <inheritdoc />
    public override string FixExample => "REINDEX INDEX CONCURRENTLY workflow_runs_org_idx;";

    /// <inheritdoc />
    public override string? FixExampleFor(LintStatement statement) =>
        statement.Tree.Kind == "ReindexStmt" && statement.Tree.Relations is [var relation, ..]
            ? $"REINDEX {(statement.Tree.Root.String("kind") == "REINDEX_OBJECT_INDEX" ? "INDEX" : "TABLE")} CONCURRENTLY {Sql.Quote.Ident(relation.Schema, relation.Name)};"
            : null;

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        var root = statement.Tree.Root;
        if (root.Kind != "ReindexStmt" || root.Nodes("params").Any(p => p.String("defname") == "concurrently" && p.IsTrueOption))
        {
            return;
        }
        var until = HeldLocks.Until(statement, "the rebuild ends");
        var relation = statement.Tree.Target;
        switch (root.String("kind"))
        {
            case "REINDEX_OBJECT_TABLE" when relation is { } table && !context.IsCreatedInFile(table):
                context.Report(statement,
                    $"REINDEX TABLE {table} without CONCURRENTLY takes {HeldLocks.On(statement.Tree, table).ToSql()} on {table} and ACCESS EXCLUSIVE " +
                    $"on each of its indexes while rebuilding it: writes are blocked {until}, and nearly all reads too, because planning " +
                    $"any query on {table} locks every one of its indexes", table);
                break;
            case "REINDEX_OBJECT_INDEX" when relation is { } index:
                var owner = IndexTables.TableOf(index, context);
                if (owner is { } created && context.IsCreatedInFile(created))
                {
                    return;
                }
                var on = owner is { } known ? known.ToString() : "its table";
                context.Report(statement,
                    $"REINDEX INDEX {index} without CONCURRENTLY takes {HeldLocks.On(statement.Tree, index).ToSql()} on {index} and SHARE on {on}: " +
                    $"writes are blocked {until}, and nearly all reads too, because planning any query on the table locks every one of its indexes",
                    owner);
                break;
            case "REINDEX_OBJECT_SCHEMA" or "REINDEX_OBJECT_DATABASE":
                var what = root.String("kind") == "REINDEX_OBJECT_SCHEMA" ? "SCHEMA" : "DATABASE";
                context.Report(statement,
                    $"REINDEX {what} {root.String("name")} without CONCURRENTLY rebuilds every index in it, holding SHARE on each table and ACCESS " +
                    "EXCLUSIVE on each index in turn: writes, and nearly all reads, of each table are blocked while its indexes are rebuilt");
                break;
            // REINDEX SYSTEM has no concurrent form: there is nothing safer to suggest.
        }
    }
}
