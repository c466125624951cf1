namespace Stepwise.Linting.Rules;

/// <summary>integer and smallint columns run out: ids at 2^31 - 1 and 2^15 - 1.</summary>
public sealed class PreferBigintOverInt : LintRule
{
    /// <inheritdoc />
    public override string Id => "prefer-bigint-over-int";

    /// <inheritdoc />
    public override string Title => "Prefer bigint over integer and smallint";

    /// <inheritdoc />
    public override string Why =>
        "integer (int, int4, serial) stops at 2,147,483,647 and smallint (int2, smallserial) at 32,767. An id column fed by a sequence or identity gets there "
        + "on a busy table, and from then on every INSERT fails. Widening the column afterwards is ALTER COLUMN ... TYPE bigint, which rewrites the table and "
        + "its indexes under ACCESS EXCLUSIVE, and the columns that reference it need the same change. bigint costs 4 more bytes a row, often none after alignment.";

    /// <inheritdoc />
    public override string Fix =>
        "Declare ids and the columns that reference them as bigint (bigint GENERATED ... AS IDENTITY instead of serial). "
        + "Other integer columns are reported as info: keep integer where the value is bounded by design.";

    /// <inheritdoc />
    public override string FixExample => "CREATE TABLE workflow_runs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workflow_id bigint NOT NULL);";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        var keys = TableKeyColumns(statement);
        foreach (var column in ColumnDeclarations.In(statement.Tree))
        {
            var limit = column.BuiltInType switch
            {
                "int4" or "serial" or "serial4" => "2,147,483,647",
                "int2" or "smallserial" or "serial2" => "32,767",
                _ => null,
            };
            if (limit is null)
            {
                continue;
            }
            if (IsKey(column, keys))
            {
                context.Report(statement,
                    $"{column}: it stops at {limit}, after which every INSERT fails; widening it later rewrites {column.Table} under ACCESS EXCLUSIVE — use bigint",
                    column.Table);
            }
            else
            {
                context.Report(statement,
                    $"{column}: it stops at {limit}; widening it later rewrites {column.Table} under ACCESS EXCLUSIVE — use bigint unless the value is bounded by design",
                    column.Table, LintSeverity.Info);
            }
        }
    }

    /// <summary>A column that holds ids: generated, a key, a reference, or named like one.</summary>
    private static bool IsKey(ColumnDeclaration column, HashSet<string> tableKeys) =>
        column.Type is { IsSerial: true }
        || column.Has("CONSTR_IDENTITY") || column.Has("CONSTR_PRIMARY") || column.Has("CONSTR_UNIQUE") || column.Has("CONSTR_FOREIGN")
        || tableKeys.Contains(column.Column)
        || column.Column == "id" || column.Column.EndsWith("_id", StringComparison.Ordinal);

    /// <summary>Columns named by CREATE TABLE's table constraints: PRIMARY KEY (...), UNIQUE (...), FOREIGN KEY (...).</summary>
    private static HashSet<string> TableKeyColumns(LintStatement statement)
    {
        var tableConstraints = statement.Tree.Kind == "CreateStmt"
            ? statement.Tree.Root.Nodes("tableElts").Where(e => e.Kind == "Constraint")
            : [];
        return [.. tableConstraints.SelectMany(c => c.Names("keys").Concat(c.Names("fk_attrs")))];
    }
}
