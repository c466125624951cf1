namespace Stepwise.Linting.Rules;

/// <summary>DROP SCHEMA ... CASCADE deletes everything in the schema; without CASCADE it fails unless the schema is empty.</summary>
public sealed class DropSchema : LintRule
{
    /// <inheritdoc />
    public override string Id => "drop-schema";

    /// <inheritdoc />
    public override string Title => "Dropping a schema loses everything in it";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override string Why =>
        "DROP SCHEMA ... CASCADE deletes every table, view, sequence, function and type in the schema, with their data, for good, taking "
        + "ACCESS EXCLUSIVE on each table; the old application version, which keeps running while a migration applies, fails on every query "
        + "that uses any of them. Without CASCADE it only drops an empty schema and otherwise fails, and the migration with it.";

    /// <inheritdoc />
    public override string Fix =>
        "Drop what the schema holds object by object, each once no deployed version uses it, and drop the then-empty schema without CASCADE "
        + "(with an ignore that says it is empty).";

    /// <inheritdoc />
    public override string FixExample =>
        "-- stepwise:ignore drop-schema -- empty since migration 0042\n"
        + "DROP SCHEMA legacy;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        var root = statement.Tree.Root;
        if (root.Kind != "DropStmt" || root.String("removeType") != "OBJECT_SCHEMA")
        {
            return;
        }
        var cascade = root.String("behavior") == "DROP_CASCADE";
        foreach (var schema in root.Nodes("objects").Select(o => o.StringValue).OfType<string>())
        {
            if (CreatedInFile(context, schema))
            {
                continue;
            }
            if (cascade)
            {
                context.Report(statement,
                    $"DROP SCHEMA {schema} CASCADE deletes every table, view, sequence and function in {schema} with their data, taking ACCESS "
                    + "EXCLUSIVE on each table, and breaks old application instances still running while the migration applies that use any of them");
            }
            else
            {
                // Nothing is lost: without CASCADE PostgreSQL refuses to drop a schema that still holds anything.
                context.Report(statement,
                    $"DROP SCHEMA {schema} fails, and the migration with it, if anything is still in {schema}: without CASCADE it only drops an empty schema",
                    severity: LintSeverity.Warning);
            }
        }
    }

    private static bool CreatedInFile(LintContext context, string schema) =>
        context.EarlierOfKind("CreateSchemaStmt").Any(s => s.Tree.Root is { Kind: "CreateSchemaStmt" } create
            && (create.String("schemaname") ?? create.Node("authrole", "RoleSpec").String("rolename")) == schema);
}
