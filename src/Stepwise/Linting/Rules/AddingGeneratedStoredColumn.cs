using Stepwise.Planning;

namespace Stepwise.Linting.Rules;

/// <summary>ADD COLUMN ... GENERATED ALWAYS AS (...) STORED computes the value for every row: a table rewrite under ACCESS EXCLUSIVE.</summary>
public sealed class AddingGeneratedStoredColumn : LintRule
{
    /// <inheritdoc />
    public override string Id => "adding-generated-stored-column";

    /// <inheritdoc />
    public override string Title => "A new stored generated column rewrites the table";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override bool ScalesWithTableSize => true;

    /// <inheritdoc />
    public override string Why =>
        "A stored generated column holds a value computed from the other columns of its row, so adding one to an existing table makes PostgreSQL "
        + "compute it for every row: it rewrites the whole table and rebuilds its indexes while holding ACCESS EXCLUSIVE, and every read and write "
        + "of the table waits until the rewrite ends. PostgreSQL 15 cannot turn an existing column into a generated one afterwards.";

    /// <inheritdoc />
    public override string Fix =>
        "Add a plain nullable column, keep it up to date for new and changed rows with a BEFORE INSERT OR UPDATE trigger, and backfill existing "
        + "rows in batches. Or compute the value where it is read (a view or the query) instead of storing it.";

    /// <inheritdoc />
    public override string FixExample =>
        "ALTER TABLE orders ADD COLUMN total_cents bigint;\n"
        + "CREATE TRIGGER orders_total BEFORE INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION orders_set_total();\n"
        + "UPDATE orders SET total_cents = quantity * price_cents WHERE id BETWEEN 1 AND 10000; -- batch by batch";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        foreach (var column in AddedColumn.In(statement, context).Where(c => c.IsGenerated))
        {
            var level = HeldLocks.On(statement.Tree, column.Table);
            context.Report(statement,
                $"{column} GENERATED ALWAYS AS (...) STORED computes the value for every existing row, so it rewrites {column.Table} under {level.ToSql()}: "
                + $"{HeldLocks.Blocked(level, column.Table)} are blocked {HeldLocks.Until(statement, "the rewrite ends")}",
                column.Table);
        }
    }
}
