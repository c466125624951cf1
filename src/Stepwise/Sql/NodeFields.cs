using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Stepwise.Sql;

/// <summary>
/// One object of libpg_query's JSON output, read once into managed memory when the statement is parsed: its field names
/// (shared strings) and values. A value is a <see cref="string"/>, a boxed <see cref="int"/> (other numbers as
/// <see cref="long"/> or <see cref="double"/>), a boxed <see cref="bool"/>, null, another <see cref="NodeFields"/> or an
/// array of values (<c>object?[]</c>). A wrapped node, <c>{"Constraint": {...}}</c>, is stored as its inner object with
/// <see cref="Kind"/> set, so a tree costs one object per node and keeps nothing of the JSON text.
/// </summary>
internal sealed class NodeFields
{
    private static readonly string[] s_noNames = [];
    private static readonly object?[] s_noValues = [];

    private NodeFields(string? kind, string[] names, object?[] values)
    {
        Kind = kind;
        Names = names;
        Values = values;
    }

    /// <summary>The node kind when the JSON wrapped this object (<c>{"Kind": {...}}</c>); null for an object of a fixed type.</summary>
    internal string? Kind { get; }

    /// <summary>Field names, in the parser's order.</summary>
    internal string[] Names { get; }

    /// <summary>Field values, parallel to <see cref="Names"/>.</summary>
    internal object?[] Values { get; }

    /// <summary>The value of <paramref name="field"/>, when present.</summary>
    internal bool TryGet(string field, out object? value)
    {
        var names = Names;
        for (var i = 0; i < names.Length; i++)
        {
            if (ReferenceEquals(names[i], field) || names[i] == field)
            {
                value = Values[i];
                return true;
            }
        }
        value = null;
        return false;
    }

    /// <summary>An unwrapped object read as a wrapper: its first field as a node (libpg_query wraps every generic node).</summary>
    internal SqlNode FirstFieldAsNode() => Names.Length == 0 ? default : new SqlNode(Names[0], Values[0] as NodeFields);

    // Names of the format repeat in every tree (field names, node kinds, enum values): one string each, process-wide.
    // The cache is bounded; past it, strings are simply allocated. Its size is counted here, not asked of the dictionaries:
    // ConcurrentDictionary.Count takes every lock of the table, and asking it for each new name was a fifth of lint's CPU.
    private const int MaxShared = 100_000;
    private static int s_sharedCount;
    private static int s_shapeCount;
    private const int MaxSharedLength = 64;
    private static readonly ConcurrentDictionary<string, string> s_shared = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> s_sharedLookup = s_shared.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly object[] s_smallInts = [.. Enumerable.Range(-1, 1026).Select(i => (object)i)];
    private static readonly object s_true = true;
    private static readonly object s_false = false;

    /// <summary>
    /// Reads the JSON value at the reader's current token (an object, for a statement) into managed memory, without
    /// recursion: parse trees nest as deep as the SQL does (<c>1+1+...</c> nests once per operator).
    /// </summary>
    internal static object? Read(ref Utf8JsonReader reader)
    {
        // The values of every open container, one after the other, with their names: a container takes its own
        // range off the end when it closes. The lists are the thread's own, reused from statement to statement (they
        // are empty again when a read ends, and a read never starts another on its thread).
        var scratch = t_scratch ?? new Scratch();
        t_scratch = null;
        var (names, values, open) = (scratch.Names, scratch.Values, scratch.Open);
        string? name = null;
        object? result = null;
        var done = false;
        do
        {
            object? value;
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    name = Share(ref reader, isName: true);
                    continue;
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    open.Push((values.Count, reader.TokenType == JsonTokenType.StartObject, name));
                    name = null;
                    continue;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                {
                    var (start, isObject, outerName) = open.Pop();
                    var count = values.Count - start;
                    if (!isObject)
                    {
                        value = count == 0 ? s_noValues : CollectionsMarshal.AsSpan(values).Slice(start, count).ToArray();
                    }
                    else if (count == 1 && names[start] is { Length: > 0 } only && char.IsAsciiLetterUpper(only[0]) && values[start] is NodeFields { Kind: null } inner)
                    {
                        value = new NodeFields(only, inner.Names, inner.Values);
                    }
                    else
                    {
                        value = count == 0 ? new NodeFields(null, s_noNames, s_noValues)
                            : new NodeFields(null, Shape(CollectionsMarshal.AsSpan(names).Slice(start, count)), CollectionsMarshal.AsSpan(values).Slice(start, count).ToArray());
                    }
                    names.RemoveRange(start, count);
                    values.RemoveRange(start, count);
                    name = outerName;
                    break;
                }
                case JsonTokenType.String:
                    value = Share(ref reader, isName: false);
                    break;
                case JsonTokenType.Number:
                    value = reader.TryGetInt32(out var i) ? (i >= -1 && i < s_smallInts.Length - 1 ? s_smallInts[i + 1] : i)
                        : reader.TryGetInt64(out var l) ? (object)l : reader.GetDouble();
                    break;
                case JsonTokenType.True:
                    value = s_true;
                    break;
                case JsonTokenType.False:
                    value = s_false;
                    break;
                default:
                    value = null;
                    break;
            }
            if (open.Count == 0)
            {
                result = value;
                done = true;
            }
            else
            {
                names.Add(name);
                values.Add(value);
                name = null;
            }
        }
        while (!done && reader.Read());
        // A giant statement's lists are not kept for the rest of the thread.
        if (names.Capacity <= MaxScratch && values.Capacity <= MaxScratch)
        {
            names.Clear();
            values.Clear();
            open.Clear();
            t_scratch = scratch;
        }
        return result;
    }

    private const int MaxScratch = 4096;

    [ThreadStatic]
    private static Scratch? t_scratch;

    /// <summary>The working lists of <see cref="Read"/>.</summary>
    private sealed class Scratch
    {
        internal List<string?> Names { get; } = [];
        internal List<object?> Values { get; } = [];
        internal Stack<(int Start, bool IsObject, string? Name)> Open { get; } = new();
    }

    // Objects of a kind have the same few field names in the same order (every RangeVar: relname, inh, relpersistence,
    // location): one array of them each, process-wide. Names are shared strings, so they compare by reference.
    private static readonly ConcurrentDictionary<string[], string[]> s_shapes = new(ShapeComparer.Instance);
    private static readonly ConcurrentDictionary<string[], string[]>.AlternateLookup<ReadOnlySpan<string?>> s_shapeLookup =
        s_shapes.GetAlternateLookup<ReadOnlySpan<string?>>();

    private static string[] Shape(ReadOnlySpan<string?> names)
    {
        if (s_shapeLookup.TryGetValue(names, out var shape))
        {
            return shape;
        }
        var created = ShapeComparer.Instance.Create(names);
        return Volatile.Read(ref s_shapeCount) < MaxShared ? Add(s_shapes, created, ref s_shapeCount) : created;
    }

    private sealed class ShapeComparer : IEqualityComparer<string[]>, IAlternateEqualityComparer<ReadOnlySpan<string?>, string[]>
    {
        internal static readonly ShapeComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) => x is not null && y is not null && Equals((ReadOnlySpan<string?>)x, y);

        public int GetHashCode(string[] obj) => GetHashCode((ReadOnlySpan<string?>)obj);

        public bool Equals(ReadOnlySpan<string?> alternate, string[] other)
        {
            if (alternate.Length != other.Length)
            {
                return false;
            }
            for (var i = 0; i < alternate.Length; i++)
            {
                if (!ReferenceEquals(alternate[i], other[i]))
                {
                    return false;
                }
            }
            return true;
        }

        public int GetHashCode(ReadOnlySpan<string?> alternate)
        {
            var hash = new HashCode();
            foreach (var name in alternate)
            {
                hash.Add(RuntimeHelpers.GetHashCode(name));
            }
            return hash.ToHashCode();
        }

        public string[] Create(ReadOnlySpan<string?> alternate)
        {
            var names = new string[alternate.Length];
            for (var i = 0; i < names.Length; i++)
            {
                names[i] = alternate[i] ?? string.Empty;
            }
            return names;
        }
    }

    private static string Share(ref Utf8JsonReader reader, bool isName)
    {
        var utf8 = reader.ValueSpan;
        if (reader.ValueIsEscaped || reader.HasValueSequence || utf8.Length > MaxSharedLength || !(isName || IsFormatWord(utf8)))
        {
            return reader.GetString()!;
        }
        Span<char> chars = stackalloc char[MaxSharedLength];
        var length = Encoding.UTF8.GetChars(utf8, chars);
        var text = chars[..length];
        if (s_sharedLookup.TryGetValue(text, out var shared))
        {
            return shared;
        }
        var created = new string(text);
        return Volatile.Read(ref s_sharedCount) < MaxShared ? Add(s_shared, created, ref s_sharedCount) : created;
    }

    /// <summary>
    /// True for a string value that is a word of the format, not of the SQL: an enum value (<c>AT_AddColumn</c>,
    /// <c>CONSTR_FOREIGN</c>: a capital letter first, an underscore, letters and digits) or a one-letter code
    /// (<c>relpersistence</c>). The SQL's own names and literals are not shared: the names of tables and columns differ from
    /// statement to statement, and sharing each of them kept every one alive for the rest of the process (a cache entry, and a
    /// lock taken to add it, per new name) for trees that live a few milliseconds.
    /// </summary>
    private static bool IsFormatWord(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length == 1)
        {
            return true;
        }
        if (utf8.IsEmpty || !char.IsAsciiLetterUpper((char)utf8[0]) || !utf8.Contains((byte)'_'))
        {
            return false;
        }
        foreach (var b in utf8)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || b == '_'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The shared instance of <paramref name="created"/>: it, once added, or the one another thread added first.</summary>
    private static T Add<T>(ConcurrentDictionary<T, T> shared, T created, ref int count) where T : notnull
    {
        if (shared.TryAdd(created, created))
        {
            Interlocked.Increment(ref count);
            return created;
        }
        return shared.TryGetValue(created, out var existing) ? existing : created;
    }

    /// <summary>The object as libpg_query printed it (for messages and debugging).</summary>
    /// <param name="writer">Where.</param>
    /// <param name="value">A value of the tree.</param>
    /// <param name="unwrapped">Writes a wrapped node's own fields only (as <see cref="SqlNode.ToString"/> shows them after the kind).</param>
    internal static void Write(Utf8JsonWriter writer, object? value, bool unwrapped = false)
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            writer.WriteStringValue("...");
            return;
        }
        switch (value)
        {
            case NodeFields fields:
                writer.WriteStartObject();
                var wrapped = fields.Kind is not null && !unwrapped;
                if (wrapped)
                {
                    writer.WriteStartObject(fields.Kind!);
                }
                for (var i = 0; i < fields.Names.Length; i++)
                {
                    writer.WritePropertyName(fields.Names[i]);
                    Write(writer, fields.Values[i]);
                }
                if (wrapped)
                {
                    writer.WriteEndObject();
                }
                writer.WriteEndObject();
                break;
            case object?[] items:
                writer.WriteStartArray();
                foreach (var item in items)
                {
                    Write(writer, item);
                }
                writer.WriteEndArray();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case int n:
                writer.WriteNumberValue(n);
                break;
            case long n:
                writer.WriteNumberValue(n);
                break;
            case double d:
                writer.WriteNumberValue(d);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }
}
