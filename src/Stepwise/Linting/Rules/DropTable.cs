using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>DROP TABLE deletes data for good and breaks the old application version, which still queries the table.</summary>
public sealed class DropTable : LintRule
{
    /// <inheritdoc />
    public override string Id => "drop-table";

    /// <inheritdoc />
    public override string Title => "Dropping a table loses its data and breaks old application versions";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override string Why =>
        "DROP TABLE deletes the table and its rows for good; only a backup brings them back. It takes ACCESS EXCLUSIVE on the table and on "
        + "every table its foreign keys reference (their triggers go too), so it waits for and blocks queries on those as well. The old "
        + "application version keeps running while a migration applies, and every query of it on the table fails from the moment the drop commits.";

    /// <inheritdoc />
    public override string Fix =>
        "Expand and contract: deploy a version that no longer uses the table, then drop it in a later migration with an ignore that says "
        + "which version stopped using it, after keeping a copy of the data if it may be needed.";

    /// <inheritdoc />
    public override string FixExample =>
        "-- stepwise:ignore drop-table -- unused since v42; rows archived before this migration\n"
        + "DROP TABLE legacy_jobs;";

    /// <inheritdoc />
    public override string? FixExampleFor(LintStatement statement) =>
        $"-- stepwise:ignore drop-table -- why nothing reads it any more\n{statement.Text.Trim()};";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        var root = statement.Tree.Root;
        if (root.Kind != "DropStmt" || root.String("removeType") != "OBJECT_TABLE")
        {
            return;
        }
        var cascade = root.String("behavior") == "DROP_CASCADE" ? "; CASCADE also drops the views and foreign keys that depend on it" : "";
        var dropped = root.Nodes("objects").Select(o => o.Names("items")).Where(n => n.Count > 0)
            .Select(names => new RelationName(names.Count >= 2 ? names[^2] : null, names[^1])).ToList();
        // With a database the referenced tables are known: name them (a lock on a busy parent table is the surprise).
        var referencedLocks = context.HasForeignKeys
            ? string.Concat(context.LocksOf(statement.Tree)
                .Where(l => !dropped.Any(d => LintContext.Normalize(d) == LintContext.Normalize(l.Relation)))
                .Select(l => $" and {l.Level.ToSql()} on {l.Relation}"))
            : " and on the tables its foreign keys reference";
        foreach (var table in dropped)
        {
            if (context.IsCreatedInFile(table))
            {
                continue;
            }
            context.Report(statement,
                $"DROP TABLE {table} deletes the table and all its rows, and breaks old application instances still running while the migration "
                + $"applies: every query of theirs on {table} fails once the drop commits{cascade}; it takes "
                + $"{HeldLocks.On(statement.Tree, table).ToSql()} on {table}{referencedLocks}",
                table);
        }
    }
}
