using Stepwise.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Stepwise.Operations;

/// <summary>
/// Reads an operation migration (<c>.yaml</c>, <c>.yml</c> or <c>.json</c>, JSON being YAML's flow syntax) into
/// <see cref="Operation"/> records, in pgroll's format plus Stepwise's additions. Every problem (YAML syntax,
/// unknown operation or field, wrong type, missing field, SQL syntax) is reported with the line and column where
/// it is written; nothing throws for bad content.
/// </summary>
public static class OperationFileReader
{
    private static readonly string[] FileFields = ["name", "operations", "version_schema"];

    /// <summary>pgroll operations Stepwise does not read yet (an operation declaring one of these names takes precedence).</summary>
    private static readonly Dictionary<string, (string Why, string Hint)> Later = new(StringComparer.Ordinal)
    {
    };

    /// <summary>Deeper nesting than any operation file needs; refused before it can exhaust the stack.</summary>
    private const int MaxDepth = 64;

    /// <summary>The operation names Stepwise reads, sorted.</summary>
    public static IReadOnlyList<string> OperationNames { get; } = [.. OperationFormat.ByName.Keys.Order(StringComparer.Ordinal)];

    /// <summary>
    /// Reads <paramref name="text"/>, adding every problem to <paramref name="problems"/> (named by
    /// <paramref name="displayPath"/>). Returns the file, or null when it has errors.
    /// </summary>
    public static OperationFile? Read(string text, string displayPath, List<MigrationProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(problems);
        var context = new YamlFileContext(displayPath, problems);
        var stream = new YamlStream();
        var parser = new DepthLimitedParser(new Parser(new ScalarAliases(new Scanner(new StringReader(text)))));
        try
        {
            stream.Load(parser);
        }
        catch (ArgumentException)
        {
            // YamlDotNet's node builder on an event it does not expect (malformed input, found by fuzzing).
            context.Error(parser.Current?.Start ?? new Mark(0, 1, 1), "invalid-yaml", "the file is not valid YAML: unexpected text here",
                "fix the syntax (JSON files are read as YAML, whose flow syntax JSON is)");
            return null;
        }
        catch (YamlException ex)
        {
            var duplicate = ex.Message.StartsWith("Duplicate key", StringComparison.Ordinal);
            context.Error(ex.Start, duplicate ? "duplicate-key" : "invalid-yaml",
                duplicate ? $"{ex.Message[..1].ToLowerInvariant()}{ex.Message[1..]}: a field is written twice in one mapping" : "the file is not valid YAML: " + ex.Message,
                duplicate ? "remove one of the two" : "fix the syntax (JSON files are read as YAML, whose flow syntax JSON is)");
            return null;
        }

        if (stream.Documents.Count == 0 || YamlFileContext.IsNull(stream.Documents[0].RootNode))
        {
            context.Error(new Mark(0, 1, 1), "empty-operations", "the file has no operations",
                "write operations: followed by a list of operations (see: stepwise new NAME --operations), or delete the file");
            return null;
        }
        if (stream.Documents.Count > 1)
        {
            context.Error(stream.Documents[1].RootNode, "multiple-documents", "the file holds more than one YAML document", "one migration per file: move the second document to a file of its own");
            return null;
        }
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            context.Error(stream.Documents[0].RootNode, "wrong-type", $"the file must be a mapping with an operations list, not {YamlFileContext.Describe(stream.Documents[0].RootNode)}",
                "start the file with operations: and list the operations under it");
            return null;
        }

        var file = new YamlFields(context, root, "the file", FileFields);
        var name = file.String("name");
        var versionSchema = file.String("version_schema");
        var operations = new List<Operation>();
        switch (file.Value("operations"))
        {
            case null:
                file.Missing("operations", "add operations: followed by a list of operations");
                break;
            case var node when YamlFileContext.IsNull(node):
                context.Error(node, "empty-operations", "operations is empty, so the migration would do nothing",
                    "list the operations under operations:, each starting with - (e.g. - add_column: ...), or delete the file");
                break;
            case YamlSequenceNode { Children.Count: 0 } empty:
                context.Error(empty, "empty-operations", "operations is an empty list, so the migration would do nothing", "list at least one operation, or delete the file");
                break;
            case YamlSequenceNode list:
                foreach (var item in list.Children)
                {
                    if (ReadOperation(context, item) is { } operation)
                    {
                        operations.Add(operation);
                    }
                }
                break;
            case var node:
                context.Error(node, "wrong-type", $"operations must be a list, not {YamlFileContext.Describe(node)}",
                    "write each operation as a list item starting with - (e.g. - add_column: ...)");
                break;
        }
        return context.Errors == 0 ? new OperationFile(name, operations) { VersionSchema = string.IsNullOrEmpty(versionSchema) ? null : versionSchema } : null;
    }

    private static Operation? ReadOperation(YamlFileContext context, YamlNode item)
    {
        if (item is not YamlMappingNode { Children.Count: > 0 } mapping)
        {
            context.Error(item, "not-one-operation", $"an operation must be a mapping with one key, the operation's name, not {YamlFileContext.Describe(item)}",
                "write it as - add_column: {...} (one operation per list item)");
            return null;
        }
        if (mapping.Children.Count > 1)
        {
            var (firstKey, firstValue) = mapping.Children.First();
            var hint = YamlFileContext.IsNull(firstValue) && firstKey is YamlScalarNode { Value: { } op } && OperationFormat.ByName.ContainsKey(op)
                ? $"indent the fields of {op} under it (they are written beside it)"
                : "start each operation with its own - (one operation per list item)";
            context.Error(mapping.Children.Keys.ElementAt(1), "not-one-operation",
                $"this list item holds {mapping.Children.Count} keys; an operation is a mapping with one key, the operation's name", hint);
            return null;
        }
        var (key, value) = mapping.Children.First();
        if (key is not YamlScalarNode { Value: { } kind } || YamlFileContext.IsNull(key))
        {
            context.Error(key, "unknown-operation", $"an operation's name must be text, not {YamlFileContext.Describe(key)}");
            return null;
        }
        if (!OperationFormat.ByName.TryGetValue(kind, out var format))
        {
            if (Later.TryGetValue(kind, out var later))
            {
                context.Error(key, "not-supported-yet", $"{kind} is not supported yet: {later.Why}", later.Hint);
                return null;
            }
            var near = YamlFileContext.Nearest(kind, OperationNames);
            context.Error(key, "unknown-operation", $"unknown operation '{kind}'" + (near is null ? "" : $"; did you mean '{near}'?"),
                "the operations are: " + string.Join(", ", OperationNames));
            return null;
        }
        if (value is not YamlMappingNode fieldsNode)
        {
            context.Error(YamlFileContext.IsNull(value) ? key : value, "wrong-type", $"{kind} must be a mapping of its fields, not {YamlFileContext.Describe(value)}",
                $"indent the fields of {kind} under it");
            return null;
        }

        var errorsBefore = context.Errors;
        var operation = format.Read(new YamlFields(context, fieldsNode, kind, format.Fields), kind);
        return operation is not null && context.Errors == errorsBefore ? operation with { Position = YamlFileContext.Position(key) } : null;
    }

    /// <summary>
    /// Stops the YAML parser at a nesting depth no operation file needs, before building nodes recursively could
    /// exhaust the stack; and turns the scanner's own failures on some malformed input (YamlDotNet throws
    /// InvalidOperationException there, found by fuzzing) into a syntax error at the last position read.
    /// </summary>
    private sealed class DepthLimitedParser(IParser inner) : IParser
    {
        private int _depth;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            var last = inner.Current?.End ?? new Mark(0, 1, 1);
            bool moved;
            try
            {
                moved = inner.MoveNext();
            }
            catch (InvalidOperationException)
            {
                throw new YamlException(last, last, "unexpected text after this point (an unclosed [ or {, or a stray character?)");
            }
            if (!moved)
            {
                return false;
            }
            switch (inner.Current)
            {
                case MappingStart or SequenceStart:
                    if (++_depth > MaxDepth)
                    {
                        throw new YamlException(inner.Current.Start, inner.Current.End, $"nesting deeper than {MaxDepth} levels");
                    }
                    break;
                case MappingEnd or SequenceEnd:
                    _depth--;
                    break;
            }
            return true;
        }
    }

    /// <summary>
    /// Resolves anchors and aliases of scalars in the token stream before YamlDotNet's parser sees them: its parser
    /// (16.x to 18.1, at least) reads one token too many after an anchored scalar that is a flow mapping's value, so
    /// <c>{table: &amp;t good_t, columns: [id]}</c>, valid YAML 1.2, fails with "did not find expected ',' or '}'". An alias of a
    /// scalar means the same scalar, so the anchor is dropped and each alias replaced by a copy of the scalar (written at the
    /// alias); anchors on mappings and sequences, and aliases of them, pass through untouched.
    /// </summary>
    private sealed class ScalarAliases(IScanner inner) : IScanner
    {
        private readonly Dictionary<AnchorName, YamlDotNet.Core.Tokens.Scalar> _scalars = [];
        private readonly HashSet<AnchorName> _anchors = [];
        private readonly Queue<YamlDotNet.Core.Tokens.Token> _ahead = new();

        public Mark CurrentPosition => inner.CurrentPosition;

        public YamlDotNet.Core.Tokens.Token? Current { get; private set; }

        public bool MoveNext()
        {
            ConsumeCurrent();
            return MoveNextWithoutConsuming();
        }

        public bool MoveNextWithoutConsuming()
        {
            var token = Next();
            if (token is YamlDotNet.Core.Tokens.Anchor anchor)
            {
                _anchors.Add(anchor.Value);
                var following = Next();
                if (following is YamlDotNet.Core.Tokens.Scalar scalar)
                {
                    _scalars[anchor.Value] = scalar;
                    token = scalar;
                }
                else
                {
                    _scalars.Remove(anchor.Value);
                    if (following is not null)
                    {
                        _ahead.Enqueue(following);
                    }
                }
            }
            else if (token is YamlDotNet.Core.Tokens.AnchorAlias alias)
            {
                if (_scalars.TryGetValue(alias.Value, out var aliased))
                {
                    token = new YamlDotNet.Core.Tokens.Scalar(aliased.Value, aliased.Style, alias.Start, alias.End);
                }
                else if (!_anchors.Contains(alias.Value))
                {
                    // YamlDotNet reports this without the alias's position.
                    throw new YamlException(alias.Start, alias.End, $"the alias *{alias.Value} refers to no anchor (&{alias.Value}) written before it");
                }
            }
            Current = token;
            return token is not null;
        }

        public void ConsumeCurrent() => Current = null;

        /// <summary>The next token of the inner scanner, consumed there at once (as its parser would before asking for another).</summary>
        private YamlDotNet.Core.Tokens.Token? Next()
        {
            if (_ahead.TryDequeue(out var queued))
            {
                return queued;
            }
            if (!inner.MoveNextWithoutConsuming())
            {
                return null;
            }
            var token = inner.Current;
            inner.ConsumeCurrent();
            return token;
        }
    }
}
