using System.Text.Json;
using Stepwise.Sql;

namespace Stepwise.Catalog;

/// <summary>
/// In which order tables, views and functions can be created: each after what it needs. What a model's
/// <see cref="SchemaModel.Dependencies"/> (pg_depend) says, plus what PostgreSQL checks in a function body when the
/// function is created, which pg_depend does not record: a PL/pgSQL function's declarations (<c>r runs%ROWTYPE</c>,
/// <c>n runs.id%TYPE</c>, a variable of a table's row type) and the tables and views a (not <c>BEGIN ATOMIC</c>) SQL
/// function's queries name. A partition comes after its parent.
/// </summary>
internal sealed class CreationOrder
{
    private readonly Dictionary<string, HashSet<string>> _needs = new(StringComparer.Ordinal);

    private CreationOrder()
    {
    }

    public static string TableKey(string schema, string name) => $"table {schema}.{name}";

    public static string ViewKey(string schema, string name) => $"view {schema}.{name}";

    public static string FunctionKey(FunctionModel function) => $"function {function.Schema}.{function.Signature}";

    /// <summary>The dependencies among <paramref name="model"/>'s objects.</summary>
    public static CreationOrder Of(SchemaModel model)
    {
        var order = new CreationOrder();
        foreach (var dependency in model.Dependencies)
        {
            order.Need(dependency.Object, dependency.On);
        }
        foreach (var table in model.Tables.Where(t => t.PartitionOf is not null))
        {
            order.Need(TableKey(table.Schema, table.Name), $"table {table.PartitionOf}");
        }
        var relations = model.Tables.Select(t => (t.Schema, t.Name, Key: TableKey(t.Schema, t.Name)))
            .Concat(model.Views.Select(v => (v.Schema, v.Name, Key: ViewKey(v.Schema, v.Name))))
            .ToDictionary(r => $"{r.Schema}.{r.Name}", r => r.Key, StringComparer.Ordinal);
        foreach (var function in model.Functions.Where(f => f.Definition is not null))
        {
            foreach (var name in BodyReferences(function))
            {
                // Unqualified names resolve in the function's own schema or public (a search_path guess; the usual one).
                var key = name.Schema is not null
                    ? relations.GetValueOrDefault($"{name.Schema}.{name.Name}")
                    : relations.GetValueOrDefault($"{function.Schema}.{name.Name}") ?? relations.GetValueOrDefault($"public.{name.Name}");
                if (key is not null)
                {
                    order.Need(FunctionKey(function), key);
                }
            }
        }
        return order;
    }

    /// <summary>True when <paramref name="key"/> needs, directly or through others, an object whose key starts with <paramref name="prefix"/>.</summary>
    public bool NeedsAny(string key, string prefix)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([key]);
        while (pending.TryPop(out var current))
        {
            foreach (var needed in _needs.GetValueOrDefault(current) ?? [])
            {
                if (needed.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return true;
                }
                if (seen.Add(needed))
                {
                    pending.Push(needed);
                }
            }
        }
        return false;
    }

    /// <summary>
    /// <paramref name="items"/> with each after the items it needs (directly or through objects not among them), otherwise in
    /// the order given; a cycle (which PostgreSQL would refuse too) is left in the order given.
    /// </summary>
    public List<T> Sort<T>(IReadOnlyList<T> items, Func<T, string> key)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            index.TryAdd(key(items[i]), i);
        }
        var placed = new bool[items.Count];
        var visiting = new bool[items.Count];
        var sorted = new List<T>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            Place(i);
        }
        return sorted;

        void Place(int i)
        {
            if (placed[i] || visiting[i])
            {
                return;
            }
            visiting[i] = true;
            foreach (var needed in Closure(key(items[i])).Where(index.ContainsKey).Select(k => index[k]).Order())
            {
                Place(needed);
            }
            visiting[i] = false;
            placed[i] = true;
            sorted.Add(items[i]);
        }

        // What the item needs among the items, looking through objects that are not among them.
        IEnumerable<string> Closure(string start)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var pending = new Stack<string>([start]);
            while (pending.TryPop(out var current))
            {
                foreach (var needed in _needs.GetValueOrDefault(current) ?? [])
                {
                    if (!seen.Add(needed))
                    {
                        continue;
                    }
                    if (index.ContainsKey(needed))
                    {
                        yield return needed;
                    }
                    else
                    {
                        pending.Push(needed);
                    }
                }
            }
        }
    }

    private void Need(string key, string on)
    {
        if (key == on)
        {
            return;
        }
        if (!_needs.TryGetValue(key, out var set))
        {
            _needs[key] = set = new HashSet<string>(StringComparer.Ordinal);
        }
        set.Add(on);
    }

    /// <summary>The relations a function's body needs when the function is created.</summary>
    private static IEnumerable<RelationName> BodyReferences(FunctionModel function)
    {
        SqlScript script;
        try
        {
            script = SqlParser.Parse(function.Definition!);
        }
        catch (SqlParserUnavailableException)
        {
            return [];
        }
        if (script.Statements is not [{ Tree: { } tree } statement])
        {
            return [];
        }
        return function.Language switch
        {
            "plpgsql" => PlpgsqlParser.Parse(script, statement) is { Error: null } body ? DeclaredTypes(body.Functions) : [],
            "sql" => SqlBody(tree) is { } text ? SqlParser.Parse(text).Statements.Where(s => s.Tree is not null).SelectMany(s => s.Tree!.Relations) : [],
            _ => [],
        };
    }

    /// <summary>The body of <c>CREATE FUNCTION ... AS '...'</c>; null for <c>BEGIN ATOMIC</c> (pg_depend has those).</summary>
    private static string? SqlBody(StatementTree tree)
    {
        var option = tree.Root.Nodes("options").FirstOrDefault(o => o.String("defname") == "as");
        return !option.IsMissing && option.Node("arg").Names("items") is [var body, ..] ? body : null;
    }

    /// <summary>Every table a PL/pgSQL declaration names: <c>t%ROWTYPE</c>, <c>t.c%TYPE</c>, or a variable of type <c>t</c>.</summary>
    private static List<RelationName> DeclaredTypes(JsonElement functions)
    {
        var found = new List<RelationName>();
        Walk(functions);
        return found;

        void Walk(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        if (property.Name == "typname" && property.Value.ValueKind == JsonValueKind.String && TypeRelation(property.Value.GetString()!) is { } name)
                        {
                            found.Add(name);
                        }
                        Walk(property.Value);
                    }
                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        Walk(item);
                    }
                    break;
            }
        }
    }

    /// <summary>The table a declared type names, when it may name one.</summary>
    private static RelationName? TypeRelation(string type)
    {
        var text = type.Trim();
        while (text.EndsWith("[]", StringComparison.Ordinal))
        {
            text = text[..^2].TrimEnd();
        }
        var dropColumn = false;
        if (text.EndsWith("%rowtype", StringComparison.OrdinalIgnoreCase))
        {
            text = text[..^"%rowtype".Length];
        }
        else if (text.EndsWith("%type", StringComparison.OrdinalIgnoreCase))
        {
            text = text[..^"%type".Length];
            dropColumn = true;
        }
        var parts = SplitName(text);
        if (dropColumn)
        {
            parts = parts.Count > 1 ? parts[..^1] : [];
        }
        return parts.Count switch
        {
            1 => new RelationName(null, parts[0]),
            2 => new RelationName(parts[0], parts[1]),
            _ => null,
        };
    }

    /// <summary>A dotted name as PostgreSQL reads it: quoted parts kept as written, others folded to lower case; empty when it is not a plain name.</summary>
    private static List<string> SplitName(string text)
    {
        var parts = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                var end = i + 1;
                var part = new System.Text.StringBuilder();
                while (end < text.Length && !(text[end] == '"' && (end + 1 >= text.Length || text[end + 1] != '"')))
                {
                    part.Append(text[end]);
                    end += text[end] == '"' ? 2 : 1;
                }
                parts.Add(part.ToString());
                i = end + 1;
            }
            else
            {
                var end = i;
                while (end < text.Length && text[end] != '.')
                {
                    end++;
                }
                var part = text[i..end].Trim();
                if (part.Length == 0 || !part.All(c => char.IsLetterOrDigit(c) || c is '_' or '$'))
                {
                    return [];
                }
                parts.Add(part.ToLowerInvariant());
                i = end;
            }
            if (i < text.Length)
            {
                if (text[i] != '.')
                {
                    return [];
                }
                i++;
            }
        }
        return parts;
    }
}
