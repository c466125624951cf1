using System.Text.Json;

namespace Stepwise.Sql;

/// <summary>
/// One node of a PostgreSQL parse tree as libpg_query prints it in JSON: a kind (<c>IndexStmt</c>,
/// <c>Constraint</c>, <c>RangeVar</c>, ...) and its fields. Fields that hold a generic node are
/// wrapped (<c>{"Constraint": {...}}</c>); fields of a fixed type (a <c>RangeVar</c> relation, a
/// <c>TypeName</c>) are not, so for those the caller names the kind. Missing fields read as
/// PostgreSQL's zero values: libpg_query omits false, 0 and empty lists. The tree is read from the parser's JSON once,
/// when the statement is parsed (<see cref="NodeFields"/>); a node holds no JSON.
/// </summary>
public readonly struct SqlNode
{
    private readonly NodeFields? _fields;

    internal SqlNode(string kind, NodeFields? fields)
    {
        Kind = kind;
        _fields = fields;
    }

    /// <summary>The node's kind, e.g. <c>AlterTableStmt</c>; empty for a missing node.</summary>
    public string Kind { get; }

    /// <summary>True when the node is absent (a missing field).</summary>
    public bool IsMissing => string.IsNullOrEmpty(Kind);

    /// <summary>The names of the fields the parser set, in its order (libpg_query leaves out false, 0 and empty lists).</summary>
    public IEnumerable<string> FieldNames => _fields?.Names ?? [];

    /// <summary>The node's fields as read from the parser (for walks over every field).</summary>
    internal NodeFields? Fields => _fields;

    /// <summary>A value of the tree read as a generic node: a wrapped node is one; another object reads as its first field.</summary>
    internal static SqlNode FromValue(object? value) => value switch
    {
        NodeFields { Kind: { } kind } wrapped => new SqlNode(kind, wrapped),
        NodeFields other => other.FirstFieldAsNode(),
        _ => default,
    };

    /// <summary>A child field holding a generic (wrapped) node.</summary>
    public SqlNode Node(string field) => TryField(field, out var value) ? FromValue(value) : default;

    /// <summary>A child field holding a node of a fixed type, which libpg_query does not wrap.</summary>
    public SqlNode Node(string field, string kind) => TryField(field, out var value) && value is NodeFields fields ? new SqlNode(kind, fields) : default;

    /// <summary>A list field of generic (wrapped) nodes; empty when absent.</summary>
    public IEnumerable<SqlNode> Nodes(string field)
    {
        if (!TryField(field, out var value) || value is not object?[] items)
        {
            return [];
        }
        var nodes = new SqlNode[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            nodes[i] = FromValue(items[i]);
        }
        return nodes;
    }

    /// <summary>A string field (also enum fields such as <c>subtype</c>), or null.</summary>
    public string? String(string field) => TryField(field, out var value) ? value as string : null;

    /// <summary>A boolean field; false when absent.</summary>
    public bool Bool(string field) => TryField(field, out var value) && value is true;

    /// <summary>An integer field; 0 when absent.</summary>
    public int Int(string field) => TryField(field, out var value) && value is int n ? n : 0;

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
                "" or null => true,
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
        if (IsMissing || _fields is null)
        {
            return [];
        }
        // Without recursion: a tree is as deep as the SQL nests.
        var found = new List<SqlNode>();
        var pending = new Stack<object?>();
        PushReversed(pending, _fields.Values);
        while (pending.TryPop(out var value))
        {
            switch (value)
            {
                case NodeFields fields:
                    if (fields.Kind is { } kind)
                    {
                        found.Add(new SqlNode(kind, fields));
                    }
                    PushReversed(pending, fields.Values);
                    break;
                case object?[] items:
                    PushReversed(pending, items);
                    break;
            }
        }
        return found;
    }

    /// <summary>Every <c>RangeVar</c> (table reference) in this subtree, wrapped or not, in source order.</summary>
    public IReadOnlyList<RelationName> Relations()
    {
        var found = new List<RelationName>();
        var pending = new Stack<object?>();
        pending.Push(_fields);
        while (pending.TryPop(out var value))
        {
            switch (value)
            {
                case NodeFields fields:
                    if (fields.TryGet("relname", out var relname) && relname is string)
                    {
                        found.Add(RelationName.FromRangeVar(new SqlNode("RangeVar", fields)));
                    }
                    PushReversed(pending, fields.Values);
                    break;
                case object?[] items:
                    PushReversed(pending, items);
                    break;
            }
        }
        return found;
    }

    private static void PushReversed(Stack<object?> pending, object?[] values)
    {
        for (var i = values.Length - 1; i >= 0; i--)
        {
            if (values[i] is NodeFields or object?[])
            {
                pending.Push(values[i]);
            }
        }
    }

    private bool TryField(string field, out object? value)
    {
        if (!IsMissing && _fields is not null && _fields.TryGet(field, out value))
        {
            return true;
        }
        value = null;
        return false;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        if (IsMissing)
        {
            return "(missing)";
        }
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            NodeFields.Write(writer, _fields, unwrapped: true);
        }
        return $"{Kind} {System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan)}";
    }
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
