using Stepwise.Diagnostics;
using Stepwise.Sql;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Stepwise.Operations;

/// <summary>What an SQL fragment in an operation file must be: it is parsed as such to report syntax errors before anything runs.</summary>
internal enum SqlFragment
{
    /// <summary>An expression (<c>up</c>, <c>default</c>, <c>check</c>, <c>predicate</c>, <c>where</c>, <c>set</c> values).</summary>
    Expression,

    /// <summary>
    /// An <c>up</c>/<c>down</c> expression, which pgroll's own examples also write as a query (<c>SELECT CASE ... END</c>):
    /// such a query is kept as a scalar subquery, <c>(SELECT ...)</c>, which means the same.
    /// </summary>
    DataExpression,

    /// <summary>One query (a view's definition, an assertion).</summary>
    Query,

    /// <summary>Any statements (<c>sql</c>).</summary>
    Statements,

    /// <summary>
    /// A type name and nothing more (a column's <c>type</c>, spliced where a type goes): arrays, modifiers, qualified and
    /// quoted names pass; a constraint, default, collation, comment or any trailing text is refused.
    /// </summary>
    TypeName,

    /// <summary>
    /// The elements of an exclusion constraint (<c>title WITH =</c>, <c>room WITH =, during WITH &amp;&amp;</c>), spliced into
    /// <c>EXCLUDE USING method (...)</c>: anything that would close the list and add a clause there is refused.
    /// </summary>
    ExclusionElements,
}

/// <summary>The file being read and the problems found in it, with the wording shared by every field.</summary>
internal sealed class YamlFileContext(string file, List<MigrationProblem> problems)
{
    public string File { get; } = file;

    public int Errors { get; private set; }

    public void Error(Mark at, string code, string message, string? hint = null)
    {
        Errors++;
        problems.Add(new MigrationProblem(Severity.Error, code, File, (int)at.Line, (int)at.Column, message, hint));
    }

    public void Error(YamlNode at, string code, string message, string? hint = null) => Error(at.Start, code, message, hint);

    public void Warning(YamlNode at, string code, string message, string? hint = null) =>
        problems.Add(new MigrationProblem(Severity.Warning, code, File, (int)at.Start.Line, (int)at.Start.Column, message, hint));

    public static FilePosition Position(YamlNode node) => new((int)node.Start.Line, (int)node.Start.Column);

    /// <summary>YAML's null: <c>~</c>, <c>null</c> or nothing, unquoted.</summary>
    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } s && s.Value is null or "" or "~" or "null" or "Null" or "NULL";

    /// <summary>How a message names what was found.</summary>
    public static string Describe(YamlNode node) => node switch
    {
        _ when IsNull(node) => "nothing (null)",
        YamlScalarNode { Value: var v } => $"'{(v!.Length > 40 ? v[..40] + "…" : v)}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => "an alias",
    };

    /// <summary>The closest of <paramref name="known"/> to a misspelt <paramref name="name"/>, or null when none is close.</summary>
    public static string? Nearest(string name, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            var distance = Distance(name.ToLowerInvariant(), candidate);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }
        return bestDistance <= Math.Max(2, name.Length / 3) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    /// <summary>
    /// Parses an SQL fragment with PostgreSQL's parser and reports a syntax error where the fragment is written.
    /// Returns the fragment as the records hold it (a pgroll-style <c>SELECT</c> up expression as a scalar subquery).
    /// </summary>
    public string CheckSql(YamlScalarNode node, string value, SqlFragment fragment, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Error(node, "empty-value", $"{what} is empty", "write the SQL, or remove the field");
            return value;
        }
        if (fragment == SqlFragment.DataExpression)
        {
            var asExpression = SqlParser.Parse("SELECT " + value);
            var asQuery = asExpression.Errors.Count == 0 ? null : SqlParser.Parse(value);
            if (asQuery is not null && asQuery.Errors.Count == 0 && asQuery.Statements.Count(s => s.Kind == StatementKind.Sql) == 1 && asQuery.Statements[0].Tree?.Kind == "SelectStmt")
            {
                return "(" + value.Trim().TrimEnd(';') + ")";
            }
            fragment = SqlFragment.Expression;
        }
        // A type is parsed as the type of a cast, with an alias after it that trailing text (other than a comment, refused first) would change.
        var (prefix, suffix) = fragment switch
        {
            SqlFragment.Expression => ("SELECT ", ""),
            SqlFragment.TypeName => ("SELECT NULL::", " AS " + TypeAlias),
            SqlFragment.ExclusionElements => ("ALTER TABLE stepwise_table ADD EXCLUDE (", ")"),
            _ => ("", ""),
        };
        if (fragment == SqlFragment.TypeName && CommentIn(value) is { } comment)
        {
            Error(node, "not-a-type", $"{what} must be a type name and nothing more, but it holds a comment (at character {comment + 1} of the type)", FragmentHint(fragment));
            return value;
        }
        var script = SqlParser.Parse(prefix + value + suffix);
        if (script.Errors.Count > 0)
        {
            var error = script.Errors[0];
            var line = (int)node.Start.Line;
            var column = (int)node.Start.Column;
            var offsetInValue = Math.Min(error.Offset - prefix.Length, value.Length);
            // Point into the value when it is written on one line (plain or quoted, without escapes to shift columns).
            var singleLine = !value.Contains('\n', StringComparison.Ordinal) && node.Start.Line == node.End.Line;
            var shifted = node.Style == ScalarStyle.Plain ? 0 : node.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted ? 1 : -1;
            var rawLength = node.End.Column - node.Start.Column - (shifted * 2);
            if (singleLine && shifted >= 0 && rawLength == value.Length && offsetInValue >= 0)
            {
                column += shifted + offsetInValue;
            }
            Errors++;
            problems.Add(fragment == SqlFragment.TypeName
                ? new MigrationProblem(Severity.Error, "not-a-type", File, line, column, $"{what} must be a type name and nothing more: {error.Message}", FragmentHint(fragment))
                : new MigrationProblem(Severity.Error, "sql-syntax-error", File, line, column, $"{what}: {error.Message}", FragmentHint(fragment)));
            return value;
        }
        var statements = script.Statements.Where(s => s.Kind == StatementKind.Sql).ToList();
        if (fragment == SqlFragment.TypeName)
        {
            if (statements is not [{ Tree: { } tree }] || !IsTypeCastOnly(tree.Root))
            {
                Error(node, "not-a-type", $"{what} must be a type name and nothing more (no constraint, default, collation or other clause)", FragmentHint(fragment));
            }
        }
        else if (fragment == SqlFragment.ExclusionElements)
        {
            if (statements is not [{ Tree: { } tree }] || !IsExclusionElementsOnly(tree.Root))
            {
                Error(node, "sql-syntax-error", $"{what} must be the elements of an exclusion constraint and nothing more", FragmentHint(fragment));
            }
        }
        else if (fragment != SqlFragment.Statements && statements.Count != 1)
        {
            Error(node, "sql-syntax-error", $"{what} must be one {(fragment == SqlFragment.Expression ? "expression" : "query")}, but it holds {statements.Count} statements",
                FragmentHint(fragment));
        }
        else if (fragment == SqlFragment.Query && statements[0].Tree?.Kind != "SelectStmt")
        {
            Error(node, "sql-syntax-error", $"{what} must be a query (SELECT, VALUES, WITH ...), not {statements[0].CommandTag}", FragmentHint(fragment));
        }
        return value;
    }

    private const string TypeAlias = "stepwise_type";

    /// <summary><c>SELECT NULL::type AS stepwise_type</c> and nothing else: one target, the cast of a NULL constant, with the alias.</summary>
    private static bool IsTypeCastOnly(SqlNode select)
    {
        if (select.Kind != "SelectStmt" || select.FieldNames.Any(name => name is not ("targetList" or "op" or "limitOption")))
        {
            return false;
        }
        return select.Nodes("targetList").ToList() is [var target]
            && target.String("name") == TypeAlias
            && target.Node("val") is { Kind: "TypeCast" } cast
            && cast.Node("arg") is { Kind: "A_Const" } constant && constant.Bool("isnull");
    }

    /// <summary><c>ALTER TABLE t ADD EXCLUDE (elements)</c> with no clause after the elements (INCLUDE, WITH, WHERE, a tablespace, deferral).</summary>
    private static bool IsExclusionElementsOnly(SqlNode alter) =>
        alter.Kind == "AlterTableStmt" && alter.Nodes("cmds").ToList() is [var command]
        && command.Node("def") is { Kind: "Constraint" } constraint
        && constraint.String("contype") == "CONSTR_EXCLUSION"
        && constraint.FieldNames.All(name => name is "contype" or "exclusions" or "access_method" or "location" or "initially_valid");

    /// <summary>The offset of the first comment in <paramref name="value"/> (outside quotes), or null.</summary>
    private static int? CommentIn(string value)
    {
        int? found = null;
        SqlLexer.Scan(value, 0, value.Length, (kind, start, _) =>
        {
            if (kind == SqlLexer.Segment.Comment)
            {
                found = start;
            }
            return found is null;
        });
        return found;
    }

    private static string FragmentHint(SqlFragment fragment) => fragment switch
    {
        SqlFragment.TypeName => "write only the type (e.g. bigint, numeric(10,2), text[], timestamptz); a default, check, foreign key, "
            + "identity or generated expression has a field of its own",
        SqlFragment.Expression => "write one SQL expression over the row's columns, as it would appear in SELECT <expression>",
        SqlFragment.Query => "write one query, without a trailing semicolon",
        SqlFragment.ExclusionElements => "write the elements as in EXCLUDE (...): column_or_expression WITH operator, separated by commas; the predicate and index_parameters have fields of their own",
        _ => "fix the SQL (it is parsed with PostgreSQL's own parser)",
    };
}

/// <summary>
/// The fields of one YAML mapping (an operation, a column, a reference ...): unknown names, wrong types and
/// missing required fields are reported where they are written, and each getter returns null after a problem.
/// </summary>
internal sealed class YamlFields
{
    private readonly YamlFileContext _context;
    private readonly Dictionary<string, (YamlScalarNode Key, YamlNode Value)> _values = new(StringComparer.Ordinal);

    public YamlFields(YamlFileContext context, YamlMappingNode node, string what, IReadOnlyList<string> known)
    {
        _context = context;
        Node = node;
        What = what;
        foreach (var (key, value) in node.Children)
        {
            if (key is not YamlScalarNode { Value: { } name } scalar)
            {
                context.Error(key, "wrong-type", $"a field name of {what} must be text, not {YamlFileContext.Describe(key)}");
                continue;
            }
            if (!known.Contains(name))
            {
                var near = YamlFileContext.Nearest(name, known);
                context.Error(key, "unknown-field", $"{what} has no field '{name}'" + (near is null ? "" : $"; did you mean '{near}'?"),
                    $"{what} takes: {string.Join(", ", known)}");
                continue;
            }
            _values[name] = (scalar, value);
        }
    }

    public YamlMappingNode Node { get; }

    /// <summary>The file being read, for reading nested mappings and reporting problems.</summary>
    public YamlFileContext Context => _context;

    /// <summary>The path of this mapping in messages: <c>add_column</c>, <c>add_column.column</c>, ...</summary>
    public string What { get; }

    public FilePosition Position => YamlFileContext.Position(Node);

    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>The value node of <paramref name="name"/>, or null when absent.</summary>
    public YamlNode? Value(string name) => _values.TryGetValue(name, out var kv) ? kv.Value : null;

    /// <summary>The key node of <paramref name="name"/>, or null when absent.</summary>
    public YamlScalarNode? Key(string name) => _values.TryGetValue(name, out var kv) ? kv.Key : null;

    public void Missing(string name, string? hint = null) =>
        _context.Error(Node, "missing-field", $"{What} needs the field '{name}'", hint ?? $"add {name}: ... to {What}");

    private void WrongType(string name, YamlNode value, string expected, string? hint = null) =>
        _context.Error(value, "wrong-type", $"{What}.{name} must be {expected}, not {YamlFileContext.Describe(value)}", hint);

    /// <summary>A text field (YAML numbers are read as their text); null when absent or wrong.</summary>
    public string? String(string name, bool required = false)
    {
        if (Value(name) is not { } value)
        {
            if (required)
            {
                Missing(name);
            }
            return null;
        }
        if (value is not YamlScalarNode { Value: { } text } || YamlFileContext.IsNull(value))
        {
            WrongType(name, value, "text");
            return null;
        }
        if (required && string.IsNullOrWhiteSpace(text))
        {
            _context.Error(value, "empty-value", $"{What}.{name} is empty", $"write the {name}");
            return null;
        }
        return text;
    }

    /// <summary>A text field that may be set to null explicitly: <c>present</c> tells the two apart.</summary>
    public string? NullableString(string name, out bool present)
    {
        present = false;
        if (Value(name) is not { } value)
        {
            return null;
        }
        if (YamlFileContext.IsNull(value))
        {
            present = true;
            return null;
        }
        if (value is not YamlScalarNode { Value: { } text })
        {
            WrongType(name, value, "text or null");
            return null;
        }
        present = true;
        return text;
    }

    /// <summary>An SQL fragment, checked with PostgreSQL's parser.</summary>
    public string? Sql(string name, SqlFragment fragment, bool required = false)
    {
        var text = String(name, required);
        return text is null ? null : _context.CheckSql((YamlScalarNode)Value(name)!, text, fragment, $"{What}.{name}");
    }

    /// <summary>A type name and nothing more, checked with PostgreSQL's parser (see <see cref="SqlFragment.TypeName"/>).</summary>
    public string? TypeName(string name, bool required = false) => Sql(name, SqlFragment.TypeName, required);

    public bool? Bool(string name)
    {
        if (Value(name) is not { } value)
        {
            return null;
        }
        if (value is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: "true" or "True" or "TRUE" or "false" or "False" or "FALSE" } s)
        {
            return s.Value!.Equals("true", StringComparison.OrdinalIgnoreCase);
        }
        WrongType(name, value, "true or false");
        return null;
    }

    /// <summary>One of <paramref name="allowed"/> (case-insensitive, returned as written in <paramref name="allowed"/>).</summary>
    public string? Enum(string name, IReadOnlyList<string> allowed, bool required = false)
    {
        var text = String(name, required);
        if (text is null)
        {
            return null;
        }
        var match = allowed.FirstOrDefault(a => a.Equals(text.Trim(), StringComparison.OrdinalIgnoreCase));
        if (match is null)
        {
            _context.Error(Value(name)!, "wrong-value", $"{What}.{name} must be one of {string.Join(", ", allowed)}, not '{text}'",
                YamlFileContext.Nearest(text, allowed) is { } near ? $"did you mean {near}?" : null);
        }
        return match;
    }

    /// <summary>A list of text (a single text is not accepted: the format says list).</summary>
    public IReadOnlyList<string>? StringList(string name, bool required = false, bool nonEmpty = false)
    {
        if (Value(name) is not { } value)
        {
            if (required)
            {
                Missing(name);
            }
            return null;
        }
        if (value is not YamlSequenceNode sequence)
        {
            WrongType(name, value, "a list of text", $"write it as a list, e.g. {name}: [a, b]");
            return null;
        }
        var result = new List<string>();
        var ok = true;
        foreach (var item in sequence.Children)
        {
            if (item is YamlScalarNode { Value: { } text } && !YamlFileContext.IsNull(item))
            {
                result.Add(text);
            }
            else
            {
                _context.Error(item, "wrong-type", $"each item of {What}.{name} must be text, not {YamlFileContext.Describe(item)}");
                ok = false;
            }
        }
        if (ok && nonEmpty && result.Count == 0)
        {
            _context.Error(value, "empty-value", $"{What}.{name} is an empty list", $"list at least one item under {name}");
            return null;
        }
        return ok ? result : null;
    }

    /// <summary>A mapping whose values are text (column → SQL expression); null when absent or wrong.</summary>
    public IReadOnlyDictionary<string, string>? StringMap(string name, bool required = false, SqlFragment? fragment = null)
    {
        if (Value(name) is not { } value)
        {
            if (required)
            {
                Missing(name);
            }
            return null;
        }
        if (value is not YamlMappingNode mapping)
        {
            WrongType(name, value, "a mapping of column: expression", $"write it as {name}: {{column: expression}}");
            return null;
        }
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var ok = true;
        foreach (var (key, item) in mapping.Children)
        {
            if (key is not YamlScalarNode { Value: { } column } || YamlFileContext.IsNull(key))
            {
                _context.Error(key, "wrong-type", $"the keys of {What}.{name} must be column names, not {YamlFileContext.Describe(key)}");
                ok = false;
            }
            else if (item is not YamlScalarNode { Value: { } text } scalar || YamlFileContext.IsNull(item))
            {
                _context.Error(item, "wrong-type", $"{What}.{name}.{column} must be text, not {YamlFileContext.Describe(item)}");
                ok = false;
            }
            else
            {
                result[column] = fragment is { } f ? _context.CheckSql(scalar, text, f, $"{What}.{name}.{column}") : text;
            }
        }
        if (ok && required && result.Count == 0)
        {
            _context.Error(value, "empty-value", $"{What}.{name} is empty", $"give at least one column: expression under {name}");
            return null;
        }
        return ok ? result : null;
    }

    /// <summary>A nested mapping's fields; null when absent or not a mapping.</summary>
    public YamlFields? Object(string name, IReadOnlyList<string> known, bool required = false)
    {
        if (Value(name) is not { } value)
        {
            if (required)
            {
                Missing(name);
            }
            return null;
        }
        if (value is not YamlMappingNode mapping)
        {
            WrongType(name, value, "a mapping", $"write its fields under {name}: ({string.Join(", ", known)})");
            return null;
        }
        return new YamlFields(_context, mapping, $"{What}.{name}", known);
    }

    /// <summary>A field Stepwise reads but does not act on: a warning when it says something.</summary>
    public void Ignored(string name, string why)
    {
        if (Value(name) is { } value && !YamlFileContext.IsNull(value) && !(value is YamlScalarNode { Value: var v } && string.IsNullOrWhiteSpace(v))
            && !(value is YamlMappingNode { Children.Count: 0 }))
        {
            _context.Warning(value, "ignored-field", $"{What}.{name} is ignored: {why}", $"remove {name} from {What}");
        }
    }

    /// <summary>
    /// pgroll's <c>up</c>/<c>down</c> where Stepwise makes no column copy: a warning, unless it only keeps values as they are (a bare
    /// column, <c>up: title</c>, or a map of columns to themselves, <c>{a: a, b: b}</c>), which says nothing Stepwise ignores.
    /// </summary>
    public void IgnoredUnlessUnchanged(string name, string why)
    {
        var unchanged = Value(name) switch
        {
            YamlScalarNode { Value: { } v } => BareColumn(v) is not null,
            YamlMappingNode map => map.Children.All(kv => kv is { Key: YamlScalarNode { Value: { } column }, Value: YamlScalarNode { Value: { } v } } && BareColumn(v) == column),
            _ => false,
        };
        if (!unchanged)
        {
            Ignored(name, why);
        }
    }

    /// <summary>The column <paramref name="expression"/> is, when it is just a column's (unqualified) name; else null.</summary>
    public static string? BareColumn(string expression) =>
        SqlParser.Parse("SELECT " + expression) is { IsValid: true, Statements: [{ Tree: { } tree }] }
        && tree.Root.Nodes("targetList").ToList() is [var target] && target.Node("val") is { Kind: "ColumnRef" } reference
        && reference.Names("fields") is [var name]
            ? name
            : null;

    /// <summary>A field of pgroll's format that Stepwise does not do yet: an error where it is written.</summary>
    public void NotSupported(string name, string why, string? hint = null)
    {
        if (Key(name) is { } key)
        {
            _context.Error(key, "not-supported-yet", $"{What}.{name} is not supported yet: {why}", hint);
        }
    }
}
