namespace Stepwise.Linting.Rules;

/// <summary>varchar(n): the limit is cheap to raise but lowering it rewrites the table; a CHECK is easier to change.</summary>
public sealed class PreferTextField : LintRule
{
    /// <inheritdoc />
    public override string Id => "prefer-text-field";

    /// <inheritdoc />
    public override string Title => "Prefer text with a CHECK over varchar(n)";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Info;

    /// <inheritdoc />
    public override string Why =>
        "varchar(n) stores the same way as text; the limit is part of the type. Raising or removing it is a catalog change, but lowering it is "
        + "ALTER COLUMN ... TYPE, which rewrites the table and its indexes under ACCESS EXCLUSIVE. A CHECK constraint on the length can be replaced "
        + "without a rewrite: add the new one NOT VALID (a brief ACCESS EXCLUSIVE), VALIDATE it under SHARE UPDATE EXCLUSIVE while reads and writes go on, "
        + "then drop the old one.";

    /// <inheritdoc />
    public override string Fix => "Declare the column text and put the limit in a named CHECK constraint on char_length.";

    /// <inheritdoc />
    public override string FixExample =>
        "ALTER TABLE workflow_runs ADD COLUMN title text;\nALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_title_length CHECK (char_length(title) <= 200) NOT VALID;\nALTER TABLE workflow_runs VALIDATE CONSTRAINT workflow_runs_title_length;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        foreach (var column in ColumnDeclarations.In(statement.Tree))
        {
            // varchar without a length has no limit: it is text under another name.
            if (column.BuiltInType == "varchar" && column.Type!.IntModifier(0) is { } limit)
            {
                context.Report(statement,
                    $"{column}: lowering the limit later rewrites {column.Table} under ACCESS EXCLUSIVE — use text with CHECK (char_length({column.Column}) <= {limit})",
                    column.Table);
            }
        }
    }
}
