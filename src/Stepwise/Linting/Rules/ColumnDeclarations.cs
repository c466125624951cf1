using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>
/// The columns a statement gives a type — CREATE TABLE's columns, ALTER TABLE ... ADD COLUMN and
/// ALTER COLUMN ... TYPE — which the type-preference rules look at.
/// </summary>
internal static class ColumnDeclarations
{
    // Six type rules ask for the same statement's columns: read them once per tree.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<StatementTree, IReadOnlyList<ColumnDeclaration>> s_cache = [];

    /// <summary>The typed columns of <paramref name="tree"/>, in order; empty for other statements.</summary>
    internal static IReadOnlyList<ColumnDeclaration> In(StatementTree tree) => s_cache.GetValue(tree, Read);

    private static IReadOnlyList<ColumnDeclaration> Read(StatementTree tree)
    {
        var found = new List<ColumnDeclaration>();
        if (tree.Target is not { } table)
        {
            return found;
        }
        if (tree.Kind == "CreateStmt")
        {
            foreach (var column in tree.Root.Nodes("tableElts").Where(e => e.Kind == "ColumnDef"))
            {
                found.Add(new ColumnDeclaration(table, column.String("colname") ?? "", column, ColumnClause.CreateTable));
            }
        }
        foreach (var command in tree.AlterTableCommands)
        {
            if (command.Subtype == "AT_AddColumn")
            {
                found.Add(new ColumnDeclaration(table, command.Definition.String("colname") ?? "", command.Definition, ColumnClause.AddColumn));
            }
            else if (command.Subtype == "AT_AlterColumnType")
            {
                // The ColumnDef of ALTER COLUMN ... TYPE carries the type only; the name is on the command.
                found.Add(new ColumnDeclaration(table, command.Name ?? "", command.Definition, ColumnClause.AlterColumnType));
            }
        }
        return found;
    }
}

/// <summary>Where a column's type is written.</summary>
internal enum ColumnClause
{
    /// <summary>A column of CREATE TABLE.</summary>
    CreateTable,

    /// <summary>ALTER TABLE ... ADD COLUMN.</summary>
    AddColumn,

    /// <summary>ALTER TABLE ... ALTER COLUMN ... TYPE.</summary>
    AlterColumnType,
}

/// <summary>A column and the type a statement declares for it.</summary>
/// <param name="Table">The table.</param>
/// <param name="Column">The column's name.</param>
/// <param name="Definition">The <c>ColumnDef</c> node.</param>
/// <param name="Clause">Where the type is written.</param>
internal sealed record ColumnDeclaration(RelationName Table, string Column, SqlNode Definition, ColumnClause Clause)
{
    /// <summary>The type as written (the parser's names: <c>int4</c>, <c>varchar</c>, <c>bpchar</c>, ...).</summary>
    private (ColumnType? Value, bool Known) _type;

    public ColumnType? Type
    {
        get
        {
            if (!_type.Known)
            {
                _type = (ColumnType.OfColumn(Definition), true);
            }
            return _type.Value;
        }
    }

    /// <summary>The name of a type of PostgreSQL's own (<c>int4</c>, <c>json</c>, <c>serial</c>); null for one in another schema.</summary>
    public string? BuiltInType => Type is { IsBuiltIn: true } type ? type.Name : null;

    /// <summary>True when the column definition has a constraint of this type (<c>CONSTR_PRIMARY</c>, <c>CONSTR_IDENTITY</c>, ...).</summary>
    public bool Has(string constraintType) => Definition.Nodes("constraints").Any(c => c.String("contype") == constraintType);

    /// <summary>For messages: <c>column app.t.payload is json</c>, or <c>... becomes json</c> for ALTER COLUMN ... TYPE.</summary>
    public override string ToString() => $"column {Table}.{Column} {(Clause == ColumnClause.AlterColumnType ? "becomes" : "is")} {Type}";
}
