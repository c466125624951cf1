namespace Stepwise.Linting.Rules;

/// <summary>json re-parses on every access and has no equality or indexing; jsonb does.</summary>
public sealed class PreferJsonb : LintRule
{
    /// <inheritdoc />
    public override string Id => "prefer-jsonb";

    /// <inheritdoc />
    public override string Title => "Prefer jsonb over json";

    /// <inheritdoc />
    public override string Why =>
        "json stores the input text unchanged and parses it again every time a value is read or an operator is applied. It has no equality operator, "
        + "so DISTINCT, GROUP BY, UNION and unique constraints over it fail, and it has no GIN operator class for containment (@>) or key-existence queries. "
        + "jsonb stores the parsed form. Converting the column later rewrites the table under ACCESS EXCLUSIVE. Keep json only when the exact text "
        + "(key order, duplicate keys, whitespace) must be preserved.";

    /// <inheritdoc />
    public override string Fix => "Declare the column jsonb.";

    /// <inheritdoc />
    public override string FixExample => "ALTER TABLE workflow_runs ADD COLUMN payload jsonb;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        foreach (var column in ColumnDeclarations.In(statement.Tree))
        {
            if (column.BuiltInType == "json")
            {
                context.Report(statement,
                    $"{column}: it is parsed again on every read, has no equality operator and cannot be indexed with GIN — use jsonb",
                    column.Table);
            }
        }
    }
}
