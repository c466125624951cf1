namespace Stepwise.Linting.Rules;

/// <summary>serial columns: prefer identity columns.</summary>
public sealed class PreferIdentity : LintRule
{
    /// <inheritdoc />
    public override string Id => "prefer-identity";

    /// <inheritdoc />
    public override string Title => "Prefer identity columns over serial";

    /// <inheritdoc />
    public override string Why =>
        "serial, bigserial and smallserial are shorthand for a column whose default is nextval() of a sequence the column owns. "
        + "The sequence is a separate object: roles that insert need USAGE on it as well, rows inserted with explicit ids do not move it "
        + "(so later inserts collide with them), and CREATE TABLE ... (LIKE ... INCLUDING DEFAULTS) copies the nextval() default, leaving two tables drawing on one sequence. "
        + "An identity column (the SQL standard form) ties the sequence to the column: privileges follow the table, GENERATED ALWAYS rejects "
        + "explicit ids unless OVERRIDING SYSTEM VALUE is written, and LIKE ... INCLUDING IDENTITY gives the copy its own sequence.";

    /// <inheritdoc />
    public override string Fix => "Declare the column bigint GENERATED ALWAYS AS IDENTITY (or BY DEFAULT, when callers must be able to supply ids).";

    /// <inheritdoc />
    public override string FixExample => "CREATE TABLE workflow_runs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        foreach (var column in ColumnDeclarations.In(statement.Tree))
        {
            var identityType = column.BuiltInType switch
            {
                "serial" or "serial4" => "integer",
                "bigserial" or "serial8" => "bigint",
                "smallserial" or "serial2" => "smallint",
                _ => null,
            };
            if (identityType is not null)
            {
                context.Report(statement,
                    $"{column}: its sequence is a separate object with its own privileges, and explicit ids do not advance it — use {identityType} GENERATED ALWAYS AS IDENTITY",
                    column.Table);
            }
        }
    }
}
