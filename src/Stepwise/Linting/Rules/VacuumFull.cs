using Stepwise.Planning;

namespace Stepwise.Linting.Rules;

/// <summary>VACUUM FULL rewrites the table under ACCESS EXCLUSIVE.</summary>
public sealed class VacuumFull : LintRule
{
    /// <inheritdoc />
    public override string Id => "vacuum-full";

    /// <inheritdoc />
    public override string Title => "Do not run VACUUM FULL in a migration";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override bool ScalesWithTableSize => true;

    /// <inheritdoc />
    public override string Why =>
        "VACUUM FULL writes a new copy of the table and rebuilds all of its indexes, holding ACCESS EXCLUSIVE on the table from start to end: "
        + "every SELECT, INSERT, UPDATE and DELETE on it waits for the whole rewrite, which on a big table is minutes to hours. "
        + "It also needs free disk space for the full copy until it finishes. Without a table list it does this to every table in the database, one after another.";

    /// <inheritdoc />
    public override string Fix =>
        "Plain VACUUM (SHARE UPDATE EXCLUSIVE: reads and writes go on) makes dead space reusable, which is usually enough. "
        + "To give space back to the operating system without blocking, rebuild the table online with pg_repack or pg_squeeze, outside migrations.";

    /// <inheritdoc />
    public override string FixExample => "VACUUM (ANALYZE) workflow_runs;\n-- to shrink the files online, outside migrations: pg_repack --table=workflow_runs";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        var root = statement.Tree.Root;
        if (root.Kind != "VacuumStmt" || !root.Bool("is_vacuumcmd"))
        {
            return;
        }
        // StatementLocks reads FULL from the options (FULL false included); it names no table when there is no list.
        var rewrites = StatementLocks.For(statement.Tree).Where(l => l.Level == LockLevel.AccessExclusive).ToList();
        if (rewrites.Count == 0 && !root.Nodes("rels").Any() && root.Nodes("options").Any(o => o.String("defname") == "full" && o.IsTrueOption))
        {
            context.Report(statement,
                "VACUUM FULL without a table list rewrites every table in the database, each under ACCESS EXCLUSIVE: reads and writes on each table are blocked while it is rewritten");
            return;
        }
        foreach (var rewrite in rewrites.Where(l => !context.IsCreatedInFile(l.Relation)))
        {
            context.Report(statement,
                $"VACUUM FULL rewrites {rewrite.Relation} under {rewrite.Level.ToSql()}: it {rewrite.Level.Blocks()} until the rewrite ends", rewrite.Relation);
        }
    }
}
