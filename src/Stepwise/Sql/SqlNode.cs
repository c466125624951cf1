using System.Text.Json;

namespace Stepwise.Sql;

/// <summary>
/// One node of a PostgreSQL parse tree as libpg_query prints it in JSON: a kind (<c>IndexStmt</c>,
/// <c>Constraint</c>, <c>RangeVar</c>, ...) and its fields. Fields that hold a generic node are
/// wrapped (<c>{"Constraint": {...}}</c>); fields of a fixed type (a <c>RangeVar</c> relation, a
/// <c>TypeName</c>) are not, so for those the caller names the kind. Missing fields read as
/// PostgreSQL's zero values: libpg_query omits false, 0 and empty lists.
/// </summary>
public readonly struct SqlNode
{
    private readonly JsonElement _fields;

    internal SqlNode(string kind, JsonElement fields)
    {
        Kind = kind;
        _fields = fields;
    }

    /// <summary>The node's kind, e.g. <c>AlterTableStmt</c>; empty for a missing node.</summary>
    public string Kind { get; }

    /// <summary>True when the node is absent (a missing field).</summary>
    public bool IsMissing => string.IsNullOrEmpty(Kind);

    /// <summary>The raw JSON object of the node's fields.</summary>
    public JsonElement Fields => _fields;

    /// <summary>Wraps a JSON value of the form <c>{"Kind": {...}}</c>.</summary>
    public static SqlNode FromWrapped(JsonElement wrapped)
    {
        if (wrapped.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in wrapped.EnumerateObject())
            {
                return new SqlNode(property.Name, property.Value);
            }
        }
        return default;
    }

    /// <summary>A child field holding a generic (wrapped) node.</summary>
    public SqlNode Node(string field) => TryField(field, out var value) ? FromWrapped(value) : default;

    /// <summary>A child field holding a node of a fixed type, which libpg_query does not wrap.</summary>
    public SqlNode Node(string field, string kind) => TryField(field, out var value) && value.ValueKind == JsonValueKind.Object ? new SqlNode(kind, value) : default;

    /// <summary>A list field of generic (wrapped) nodes; empty when absent.</summary>
    public IEnumerable<SqlNode> Nodes(string field)
    {
        if (!TryField(field, out var value) || value.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }
        foreach (var item in value.EnumerateArray())
        {
            yield return FromWrapped(item);
        }
    }

    /// <summary>A string field (also enum fields such as <c>subtype</c>), or null.</summary>
    public string? String(string field) => TryField(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A boolean field; false when absent.</summary>
    public bool Bool(string field) => TryField(field, out var value) && value.ValueKind == JsonValueKind.True;

    /// <summary>An integer field; 0 when absent.</summary>
    public int Int(string field) => TryField(field, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : 0;

    /// <summary>For <c>String</c> nodes (names in lists): the value; otherwise null.</summary>
    public string? StringValue => Kind == "String" ? String("sval") : null;

    /// <summary>For a <c>DefElem</c> option (<c>REINDEX (CONCURRENTLY false)</c>): its boolean value as PostgreSQL reads it; no value means true.</summary>
    public bool IsTrueOption
    {
        get
        {
            var value = Node("arg");
            return value.Kind switch
            {
                "" => true,
                "Integer" => value.Int("ival") != 0,
                "Boolean" => value.Bool("boolval"),
                "String" => value.StringValue?.ToLowerInvariant() is "true" or "on", // anything else but false/off is an error
                _ => true,
            };
        }
    }

    /// <summary>The names in a list field of <c>String</c> nodes, e.g. a qualified name.</summary>
    public IReadOnlyList<string> Names(string field) => [.. Nodes(field).Select(n => n.StringValue).OfType<string>()];

    /// <summary>Every wrapped node below this one, depth first (not this node itself).</summary>
    public IEnumerable<SqlNode> Descendants()
    {
        if (IsMissing)
        {
            return [];
        }
        var found = new List<SqlNode>();
        Collect(_fields, found);
        return found;
    }

    /// <summary>Every <c>RangeVar</c> (table reference) in this subtree, wrapped or not, in source order.</summary>
    public IReadOnlyList<RelationName> Relations()
    {
        var found = new List<RelationName>();
        CollectRelations(_fields, found);
        return found;
    }

    private static void CollectRelations(JsonElement element, List<RelationName> found)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                if (element.TryGetProperty("relname", out var relname) && relname.ValueKind == JsonValueKind.String)
                {
                    found.Add(RelationName.FromRangeVar(new SqlNode("RangeVar", element)));
                }
                foreach (var property in element.EnumerateObject())
                {
                    CollectRelations(property.Value, found);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    CollectRelations(item, found);
                }
                break;
        }
    }

    private static void Collect(JsonElement element, List<SqlNode> found)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Value.ValueKind == JsonValueKind.Object && property.Name.Length > 0 && char.IsUpper(property.Name[0]))
                    {
                        found.Add(new SqlNode(property.Name, property.Value));
                    }
                    Collect(property.Value, found);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, found);
                }
                break;
        }
    }

    private bool TryField(string field, out JsonElement value)
    {
        if (!IsMissing && _fields.ValueKind == JsonValueKind.Object && _fields.TryGetProperty(field, out value))
        {
            return true;
        }
        value = default;
        return false;
    }

    /// <inheritdoc />
    public override string ToString() => IsMissing ? "(missing)" : $"{Kind} {_fields.GetRawText()}";
}

/// <summary>A possibly schema-qualified relation name from a <c>RangeVar</c>.</summary>
public readonly record struct RelationName(string? Schema, string Name)
{
    /// <summary><c>schema.name</c>, the schema <c>public</c> when the statement did not name one.</summary>
    public string Qualified => $"{Schema ?? "public"}.{Name}";

    internal static RelationName FromRangeVar(SqlNode rangeVar) =>
        new(rangeVar.String("schemaname"), rangeVar.String("relname") ?? string.Empty);

    /// <summary><c>schema.name</c> or <c>name</c>, unquoted, for messages.</summary>
    public override string ToString() => Schema is null ? Name : $"{Schema}.{Name}";
}
