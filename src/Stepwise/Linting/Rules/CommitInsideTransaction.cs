namespace Stepwise.Linting.Rules;

/// <summary>A DO block that commits, or a CALL of a procedure that may, inside a transaction block fails at run time (2D000).</summary>
public sealed class CommitInsideTransaction : LintRule
{
    /// <inheritdoc />
    public override string Id => "commit-inside-transaction";

    /// <inheritdoc />
    public override string Title => "Statements that commit by themselves need to run outside a transaction";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override string Why =>
        "A DO block whose PL/pgSQL body runs COMMIT or ROLLBACK (a backfill committing every batch), and a procedure that does, may end "
        + "transactions only when they are called outside a transaction block. Inside one (BEGIN ... COMMIT, a migration run as one transaction, "
        + "a function, or a file a tool wraps in a transaction) PostgreSQL stops them at the first COMMIT with 2D000 "
        + "(invalid transaction termination) and the migration fails there. A CALL is flagged as a warning: whether the procedure commits "
        + "is in its body, which the file does not show.";

    /// <inheritdoc />
    public override string Fix =>
        "Run it outside any transaction block: in a Stepwise migration, put it in a file with -- stepwise:no-transaction (each statement then "
        + "runs on its own and Stepwise records progress around it); in plain SQL, move it out of BEGIN ... COMMIT and out of other DO blocks.";

    /// <inheritdoc />
    public override string FixExample =>
        "-- stepwise:up\n-- stepwise:no-transaction\nDO $$\nDECLARE n bigint;\nBEGIN\n  LOOP\n    UPDATE t SET c = 0 WHERE id IN (SELECT id FROM t WHERE c IS NULL LIMIT 5000);\n"
        + "    GET DIAGNOSTICS n = ROW_COUNT;\n    EXIT WHEN n = 0;\n    COMMIT;\n  END LOOP;\nEND $$;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        // Inside a DO block a CALL or nested DO may commit when the outer block runs outside a transaction: only top-level statements are judged.
        if (!statement.InTransaction || statement.Embedded || !statement.Tree.EndsTransactions)
        {
            return;
        }
        var where = context.PlainSql ? "inside a transaction block" : "in a migration that runs as one transaction";
        if (statement.Tree.Kind == "CallStmt")
        {
            var name = string.Join('.', statement.Tree.Root.Node("funccall", "FuncCall").Names("funcname"));
            context.Report(statement,
                $"CALL {name} {where}: if the procedure commits or rolls back, PostgreSQL stops it there with 2D000 (invalid transaction termination) and the migration fails",
                severity: LintSeverity.Warning);
            return;
        }
        context.Report(statement,
            $"this DO block commits or rolls back in its body, which PostgreSQL allows only outside a transaction block: {where} it fails at its first COMMIT with 2D000 "
            + "(invalid transaction termination) and the migration fails there");
    }
}
