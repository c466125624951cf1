namespace Stepwise.Linting.Rules;

/// <summary>DROP DATABASE deletes a whole database.</summary>
public sealed class DropDatabase : LintRule
{
    /// <inheritdoc />
    public override string Id => "drop-database";

    /// <inheritdoc />
    public override string Title => "Dropping a database loses everything in it";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override string Why =>
        "DROP DATABASE deletes the database and everything in it, for good. It cannot run inside a transaction block, nor from a connection "
        + "to that database, and it fails while any other session is connected to it, unless WITH (FORCE) (PostgreSQL 13+), which terminates "
        + "those sessions, application instances included.";

    /// <inheritdoc />
    public override string Fix => "Do not drop databases from migrations: it is a task for a person, after a backup, with the applications that use it stopped.";

    /// <inheritdoc />
    public override string FixExample => "-- by hand, connected to another database, after a backup:\nDROP DATABASE analytics;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        var root = statement.Tree.Root;
        if (root.Kind != "DropdbStmt" || root.String("dbname") is not { } database
            || context.EarlierOfKind("CreatedbStmt").Any(s => s.Tree.Root.String("dbname") == database))
        {
            return;
        }
        var force = root.Nodes("options").Any(o => o.String("defname") == "force");
        context.Report(statement,
            $"DROP DATABASE {database} deletes the whole database, every table and its rows"
            + (force
                ? "; WITH (FORCE) terminates every session connected to it, application instances included"
                : "; it fails while any other session, an application instance included, is connected to it"));
    }
}
