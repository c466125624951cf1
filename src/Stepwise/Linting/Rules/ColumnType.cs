using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>
/// A column type as a statement writes it, after the parser's renaming (<c>character varying</c> is
/// <c>pg_catalog.varchar</c>, <c>integer</c> is <c>pg_catalog.int4</c>, <c>double precision</c> is
/// <c>pg_catalog.float8</c>): schema, name, modifiers (<c>varchar(20)</c>, <c>numeric(10,2)</c>) and array-ness.
/// </summary>
internal sealed class ColumnType : IEquatable<ColumnType>
{
    private static readonly Dictionary<string, string> s_sqlNames = new(StringComparer.Ordinal)
    {
        ["int2"] = "smallint", ["int4"] = "integer", ["int8"] = "bigint", ["float4"] = "real", ["float8"] = "double precision",
        ["bool"] = "boolean", ["bpchar"] = "char",
    };

    private ColumnType(string? schema, string name, IReadOnlyList<string> modifiers, bool isArray)
    {
        Schema = schema;
        Name = name;
        Modifiers = modifiers;
        IsArray = isArray;
    }

    /// <summary>The schema written (<c>pg_catalog</c> for names the parser resolves itself), or null.</summary>
    public string? Schema { get; }

    /// <summary>PostgreSQL's name for the type: <c>varchar</c>, <c>int8</c>, <c>timestamptz</c>, ...</summary>
    public string Name { get; }

    /// <summary>The type modifiers as written: <c>["10", "2"]</c> for <c>numeric(10,2)</c>.</summary>
    public IReadOnlyList<string> Modifiers { get; }

    /// <summary>True for an array type (<c>int[]</c>).</summary>
    public bool IsArray { get; }

    /// <summary>True for a type of PostgreSQL's own (unqualified or in <c>pg_catalog</c>), as opposed to one a user or extension defines.</summary>
    public bool IsBuiltIn => Schema is null or "pg_catalog";

    /// <summary>True for <c>smallserial</c>, <c>serial</c>, <c>bigserial</c>: an integer column whose default is <c>nextval()</c>.</summary>
    public bool IsSerial => Schema is null && !IsArray && Name is "smallserial" or "serial" or "bigserial" or "serial2" or "serial4" or "serial8";

    /// <summary>Reads a <c>TypeName</c> node; null when it is missing.</summary>
    public static ColumnType? From(SqlNode typeName)
    {
        var names = typeName.Names("names");
        if (typeName.IsMissing || names.Count == 0)
        {
            return null;
        }
        var modifiers = typeName.Nodes("typmods").Select(Modifier).ToList();
        return new ColumnType(names.Count > 1 ? names[^2] : null, names[^1], modifiers, typeName.Nodes("arrayBounds").Any());
    }

    /// <summary>The type of a <c>ColumnDef</c> (CREATE TABLE, ADD COLUMN, ALTER COLUMN TYPE); null when it has none.</summary>
    public static ColumnType? OfColumn(SqlNode columnDef) => From(columnDef.Node("typeName", "TypeName"));

    /// <summary>The <paramref name="index"/>th modifier when it is an integer: the length of <c>varchar(20)</c>, the precision of <c>numeric(10,2)</c>.</summary>
    public int? IntModifier(int index) =>
        index < Modifiers.Count && int.TryParse(Modifiers[index], System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <inheritdoc />
    public bool Equals(ColumnType? other) =>
        other is not null && (Schema ?? "pg_catalog") == (other.Schema ?? "pg_catalog") && Name == other.Name && IsArray == other.IsArray
        && Modifiers.SequenceEqual(other.Modifiers);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ColumnType);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, IsArray, Modifiers.Count);

    /// <summary>The type as SQL for messages: <c>bigint</c>, <c>varchar(20)</c>, <c>app.money</c>, <c>text[]</c>.</summary>
    public override string ToString()
    {
        var name = IsBuiltIn ? s_sqlNames.GetValueOrDefault(Name, Name) : $"{Schema}.{Name}";
        // An interval's modifiers encode its fields (DAY, HOUR TO MINUTE) as bits: not worth spelling out.
        var modifiers = Modifiers.Count == 0 || Name == "interval" ? "" : $"({string.Join(",", Modifiers)})";
        return name + modifiers + (IsArray ? "[]" : "");
    }

    private static string Modifier(SqlNode node) => node.Kind switch
    {
        // libpg_query leaves out a zero: {"ival": {}}.
        "A_Const" when node.Node("ival", "Integer") is { IsMissing: false } integer => integer.Int("ival").ToString(System.Globalization.CultureInfo.InvariantCulture),
        "A_Const" when node.Node("sval", "String") is { IsMissing: false } text => text.String("sval") ?? "",
        "ColumnRef" => string.Join(".", node.Names("fields")),
        _ => "?",
    };
}
