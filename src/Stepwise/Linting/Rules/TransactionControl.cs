namespace Stepwise.Linting.Rules;

/// <summary>BEGIN, COMMIT, ROLLBACK and savepoints inside a Stepwise migration fight the transaction Stepwise manages.</summary>
public sealed class TransactionControl : LintRule
{
    /// <inheritdoc />
    public override string Id => "transaction-control";

    /// <inheritdoc />
    public override string Title => "Leave transactions to Stepwise";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override string Why =>
        "Stepwise runs a migration in one transaction and writes its history row in that same transaction, or, for a -- stepwise:no-transaction "
        + "section, commits each statement together with a progress record. A BEGIN inside it is ignored by PostgreSQL with a warning (a transaction "
        + "is already open); a COMMIT or ROLLBACK ends Stepwise's transaction early, so what ran before it is committed or undone apart from the "
        + "history record, and a later failure leaves history saying something the database does not hold. Savepoints only live inside one "
        + "transaction: in a section run statement by statement, RELEASE and ROLLBACK TO fail (the savepoint is gone), and in a transactional one "
        + "ROLLBACK TO quietly undoes part of a migration that is then recorded as applied. Plain SQL files are not checked: there the file controls its transactions.";

    /// <inheritdoc />
    public override string Fix =>
        "Remove the statement. A migration runs in one transaction by default; write -- stepwise:no-transaction to run it statement by statement, "
        + "or split it into several migrations where parts must commit separately.";

    /// <inheritdoc />
    public override string FixExample =>
        "-- stepwise:up\n-- stepwise:no-transaction\nUPDATE workflow_runs SET archived = true WHERE id < 100000;\nUPDATE workflow_runs SET archived = true WHERE id >= 100000 AND id < 200000;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        // Embedded statements are left out: COMMIT in a procedure or DO block is PL/pgSQL's own, legal where it is called outside a transaction.
        if (context.PlainSql || statement.Embedded || statement.Tree.Kind != "TransactionStmt")
        {
            return;
        }
        switch (statement.Tree.Root.String("kind"))
        {
            case "TRANS_STMT_BEGIN" or "TRANS_STMT_START":
                context.Report(statement,
                    $"{statement.Tree.CommandTag} inside a Stepwise migration: Stepwise opens the transaction itself, so PostgreSQL ignores this one with a warning, "
                    + "and the COMMIT or ROLLBACK that goes with it ends Stepwise's transaction early");
                break;
            case "TRANS_STMT_SAVEPOINT" or "TRANS_STMT_RELEASE" or "TRANS_STMT_ROLLBACK_TO":
                var tag = statement.Tree.Root.String("kind") switch
                {
                    "TRANS_STMT_SAVEPOINT" => "SAVEPOINT",
                    "TRANS_STMT_RELEASE" => "RELEASE SAVEPOINT",
                    _ => "ROLLBACK TO SAVEPOINT",
                };
                if (statement.InTransaction)
                {
                    context.Report(statement,
                        $"{tag} inside a Stepwise migration: a ROLLBACK TO undoes part of the migration while Stepwise still records all of it as applied",
                        severity: LintSeverity.Warning);
                }
                else
                {
                    context.Report(statement,
                        $"{tag} in a section that runs statement by statement: each statement commits on its own, so the savepoint is gone by the next "
                        + "statement and RELEASE or ROLLBACK TO fails (3B001)");
                }
                break;
            default:
                context.Report(statement,
                    $"{statement.Tree.CommandTag} inside a Stepwise migration ends the transaction Stepwise manages: what ran before it is committed or undone "
                    + "apart from the migration's history record, so a later failure leaves history saying something the database does not hold");
                break;
        }
    }
}
