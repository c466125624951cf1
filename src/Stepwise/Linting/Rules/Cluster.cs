using Stepwise.Planning;

namespace Stepwise.Linting.Rules;

/// <summary>CLUSTER rewrites the table in index order under ACCESS EXCLUSIVE.</summary>
public sealed class Cluster : LintRule
{
    /// <inheritdoc />
    public override string Id => "cluster";

    /// <inheritdoc />
    public override string Title => "Do not run CLUSTER in a migration";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override bool ScalesWithTableSize => true;

    /// <inheritdoc />
    public override string Why =>
        "CLUSTER writes a new copy of the table sorted by an index and rebuilds all of its indexes, holding ACCESS EXCLUSIVE on the table until it ends: "
        + "every query and every write on the table waits for the whole rewrite, and it needs free disk space for the copy. "
        + "The order is not kept for rows written afterwards. Without a table it re-clusters every table that was clustered before.";

    /// <inheritdoc />
    public override string Fix =>
        "Reorder the table online with pg_repack (--order-by) or pg_squeeze, outside migrations; or, where the goal is fast range scans, "
        + "build a covering or BRIN index CONCURRENTLY instead of reordering rows.";

    /// <inheritdoc />
    public override string FixExample => "-- outside migrations: pg_repack --table=workflow_runs --order-by=created_at\nCREATE INDEX CONCURRENTLY workflow_runs_created_brin ON workflow_runs USING brin (created_at);";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        if (statement.Tree.Kind != "ClusterStmt")
        {
            return;
        }
        if (statement.Tree.Target is null)
        {
            context.Report(statement,
                "CLUSTER without a table rewrites every table that was clustered before, each under ACCESS EXCLUSIVE: reads and writes on each table are blocked while it is rewritten");
            return;
        }
        foreach (var rewrite in StatementLocks.For(statement.Tree).Where(l => !context.IsCreatedInFile(l.Relation)))
        {
            context.Report(statement,
                $"CLUSTER rewrites {rewrite.Relation} in index order under {rewrite.Level.ToSql()}: it {rewrite.Level.Blocks()} until the rewrite ends", rewrite.Relation);
        }
    }
}
