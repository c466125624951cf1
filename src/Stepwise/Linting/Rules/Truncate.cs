using Stepwise.Planning;

namespace Stepwise.Linting.Rules;

/// <summary>TRUNCATE deletes every row under ACCESS EXCLUSIVE.</summary>
public sealed class Truncate : LintRule
{
    /// <inheritdoc />
    public override string Id => "truncate";

    /// <inheritdoc />
    public override string Title => "TRUNCATE deletes every row under ACCESS EXCLUSIVE";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override string Why =>
        "TRUNCATE empties a table at once by giving it new, empty files. It takes ACCESS EXCLUSIVE, so every read and write of the table waits "
        + "until the transaction ends, and once it commits the rows are gone for good. It is not MVCC-safe either: a concurrent transaction "
        + "whose snapshot is older sees the table empty.";

    /// <inheritdoc />
    public override string Fix =>
        "Delete the rows in batches with DELETE (row locks only; readers are not blocked), or, when emptying the table is really meant, do it "
        + "with an ignore that says why, after keeping a copy of the data if it may be needed.";

    /// <inheritdoc />
    public override string FixExample => "DELETE FROM job_events WHERE id IN (SELECT id FROM job_events LIMIT 10000); -- repeat until none are left";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        if (statement.Tree.Root.Kind != "TruncateStmt")
        {
            return;
        }
        // A table created earlier in the file holds no one else's rows and no one else can see it yet.
        foreach (var table in statement.Tree.Relations.Where(t => !context.IsCreatedInFile(t)))
        {
            var level = HeldLocks.On(statement.Tree, table);
            context.Report(statement,
                $"TRUNCATE {table} deletes every row and takes {level.ToSql()} on {table}: {HeldLocks.Blocked(level, table)} are blocked "
                + $"{HeldLocks.Until(statement, "it ends")}, and the rows cannot be recovered once it commits",
                table);
        }
    }
}
