using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>
/// The columns a statement gives a type — CREATE TABLE's columns, ALTER TABLE ... ADD COLUMN and
/// ALTER COLUMN ... TYPE — which the type-preference rules look at.
/// </summary>
internal static class ColumnDeclarations
{
    /// <summary>The typed columns of <paramref name="tree"/>, in order; empty for other statements.</summary>
    internal static IReadOnlyList<ColumnDeclaration> In(StatementTree tree)
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
    private SqlNode TypeName => Definition.Node("typeName", "TypeName");

    /// <summary>
    /// PostgreSQL's internal name of a built-in type (<c>int4</c>, <c>varchar</c>, <c>bpchar</c>, <c>serial</c>, ...):
    /// the parser writes <c>integer</c> as <c>pg_catalog.int4</c>. Null for a type in another schema.
    /// </summary>
    public string? BuiltInType
    {
        get
        {
            var names = TypeName.Names("names");
            return names.Count == 1 || (names.Count == 2 && names[0] == "pg_catalog") ? names[^1] : null;
        }
    }

    /// <summary>The first type modifier, e.g. the 20 of <c>varchar(20)</c>; null when none is written.</summary>
    public int? Length =>
        TypeName.Nodes("typmods").FirstOrDefault() is { Kind: "A_Const" } modifier && modifier.Node("ival", "Integer") is { IsMissing: false } value
            ? value.Int("ival")
            : null;

    /// <summary>True for an array of the type.</summary>
    public bool IsArray => TypeName.Nodes("arrayBounds").Any();

    /// <summary>True when the column definition has a constraint of this type (<c>CONSTR_PRIMARY</c>, <c>CONSTR_IDENTITY</c>, ...).</summary>
    public bool Has(string constraintType) => Definition.Nodes("constraints").Any(c => c.String("contype") == constraintType);

    /// <summary>The type as PostgreSQL prints it: <c>integer</c>, <c>character varying(20)</c>, <c>timestamp without time zone</c>.</summary>
    public string Written
    {
        get
        {
            var length = Length is { } n ? $"({n})" : "";
            var name = BuiltInType switch
            {
                "int2" => "smallint",
                "int4" => "integer",
                "int8" => "bigint",
                "varchar" => "character varying" + length,
                "bpchar" => "character" + length,
                "timestamp" => $"timestamp{length} without time zone",
                "timestamptz" => $"timestamp{length} with time zone",
                null => string.Join('.', TypeName.Names("names")),
                var other => other + length,
            };
            return IsArray ? name + "[]" : name;
        }
    }

    /// <summary>For messages: <c>column app.t.payload is json</c>, or <c>... becomes json</c> for ALTER COLUMN ... TYPE.</summary>
    public override string ToString() => $"column {Table}.{Column} {(Clause == ColumnClause.AlterColumnType ? "becomes" : "is")} {Written}";
}
