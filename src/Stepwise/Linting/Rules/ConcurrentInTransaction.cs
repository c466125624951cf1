namespace Stepwise.Linting.Rules;

/// <summary>A CONCURRENTLY statement inside a transaction block fails at run time.</summary>
public sealed class ConcurrentInTransaction : LintRule
{
    /// <inheritdoc />
    public override string Id => "concurrent-in-transaction";

    /// <inheritdoc />
    public override string Title => "CONCURRENTLY cannot run inside a transaction";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override string Why =>
        "CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, DETACH PARTITION CONCURRENTLY and VACUUM refuse to run inside a transaction block (BEGIN ... COMMIT, a DO block, a function, or a file a tool wraps in one): the migration fails when it reaches them.";

    /// <inheritdoc />
    public override string Fix => "Run the statement outside any transaction: in a Stepwise migration that happens by itself (it runs statement by statement); in plain SQL, move it out of BEGIN ... COMMIT and out of DO blocks.";

    /// <inheritdoc />
    public override string FixExample => "-- stepwise:up\nCREATE INDEX CONCURRENTLY i ON t (a);  -- its own migration file, no BEGIN";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        if (statement.InTransaction && statement.Tree.CannotRunInTransaction)
        {
            var where = statement.Embedded ? "inside a DO block or function" : "inside a transaction block";
            context.Report(statement, $"{statement.Tree.CommandTag} cannot run {where}: PostgreSQL refuses it (25001) and the migration fails here");
        }
    }
}
