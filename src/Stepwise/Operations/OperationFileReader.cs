using Stepwise.Migrations;
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

    private static readonly string[] Supported =
    [
        "add_column", "alter_column", "create_table", "drop_table", "drop_column", "create_index", "drop_index", "create_constraint",
        "drop_constraint", "drop_multicolumn_constraint", "rename_constraint", "sql", "backfill", "create_view", "replace_view", "assert",
    ];

    private static readonly Dictionary<string, string> Later = new(StringComparer.Ordinal)
    {
        ["rename_column"] = "renames need versioned schemas (old code reads the old name while new code reads the new one)",
        ["rename_table"] = "renames need versioned schemas (old code reads the old name while new code reads the new one)",
        ["set_replica_identity"] = "setting the replica identity is not planned by this version",
    };

    private static readonly string[] ForeignKeyActions = ["NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"];
    private static readonly string[] MatchTypes = ["SIMPLE", "FULL"];
    private static readonly string[] IndexMethods = ["btree", "hash", "gist", "spgist", "gin", "brin"];
    private static readonly string[] ConstraintTypes = ["check", "foreign_key", "unique", "primary_key"];
    private static readonly string[] AssertWhen = ["start", "complete", "both"];
    private static readonly string[] ColumnFields = ["name", "type", "nullable", "default", "pk", "unique", "check", "references", "comment", "generated"];
    private static readonly string[] ReferenceFields = ["name", "table", "column", "on_delete", "on_update", "match_type", "deferrable", "initially_deferred"];
    private static readonly string[] CheckFields = ["name", "constraint", "no_inherit"];
    private static readonly string[] TargetFields = ["table", "columns", "on_delete", "on_update", "match_type", "on_delete_set_columns"];
    private static readonly string[] IndexColumnFields = ["column", "sort", "nulls", "opclass", "collate"];

    /// <summary>Deeper nesting than any operation file needs; refused before it can exhaust the stack.</summary>
    private const int MaxDepth = 64;

    /// <summary>The operation names Stepwise reads.</summary>
    public static IReadOnlyList<string> OperationNames => Supported;

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
        var parser = new DepthLimitedParser(new Parser(new StringReader(text)));
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
        file.Ignored("version_schema", "Stepwise has no version schemas");
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
        return context.Errors == 0 ? new OperationFile(name, operations) : null;
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
            var hint = YamlFileContext.IsNull(firstValue) && firstKey is YamlScalarNode { Value: { } op } && Supported.Contains(op)
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
        if (Later.TryGetValue(kind, out var why))
        {
            context.Error(key, "not-supported-yet", $"{kind} is not supported yet: {why}",
                kind == "set_replica_identity" ? "use an sql operation: ALTER TABLE ... REPLICA IDENTITY ..." : "until it lands: add_column with up (the copy) + drop_column in a later migration");
            return null;
        }
        if (!Supported.Contains(kind))
        {
            var near = YamlFileContext.Nearest(kind, Supported);
            context.Error(key, "unknown-operation", $"unknown operation '{kind}'" + (near is null ? "" : $"; did you mean '{near}'?"),
                "the operations are: " + string.Join(", ", Supported));
            return null;
        }
        if (value is not YamlMappingNode fieldsNode)
        {
            context.Error(YamlFileContext.IsNull(value) ? key : value, "wrong-type", $"{kind} must be a mapping of its fields, not {YamlFileContext.Describe(value)}",
                $"indent the fields of {kind} under it");
            return null;
        }

        var errorsBefore = context.Errors;
        Operation? operation = kind switch
        {
            "add_column" => AddColumn(context, fieldsNode),
            "alter_column" => AlterColumn(context, fieldsNode),
            "create_table" => CreateTable(context, fieldsNode),
            "drop_table" => DropTable(context, fieldsNode),
            "drop_column" => DropColumn(context, fieldsNode),
            "create_index" => CreateIndex(context, fieldsNode),
            "drop_index" => DropIndex(context, fieldsNode),
            "create_constraint" => CreateConstraint(context, fieldsNode),
            "drop_constraint" or "drop_multicolumn_constraint" => DropConstraint(context, fieldsNode, kind),
            "rename_constraint" => RenameConstraint(context, fieldsNode),
            "sql" => RawSql(context, fieldsNode),
            "backfill" => Backfill(context, fieldsNode),
            "create_view" or "replace_view" => CreateView(context, fieldsNode, kind),
            _ => AssertOperation(context, fieldsNode),
        };
        return operation is not null && context.Errors == errorsBefore ? operation with { Position = YamlFileContext.Position(key) } : null;
    }

    private static YamlFields Fields(YamlFileContext context, YamlMappingNode node, string kind, params string[] known) => new(context, node, kind, known);

    private static AddColumn? AddColumn(YamlFileContext context, YamlMappingNode node)
    {
        var f = Fields(context, node, "add_column", "table", "column", "up", "keep_fill_trigger");
        var table = f.String("table", required: true);
        var column = Column(context, f, "column");
        var up = f.Sql("up", SqlFragment.DataExpression);
        var keep = f.Bool("keep_fill_trigger") ?? false;
        return table is null || column is null ? null : new AddColumn(table, column, up, keep);
    }

    private static AlterColumn? AlterColumn(YamlFileContext context, YamlMappingNode node)
    {
        var f = Fields(context, node, "alter_column", "table", "column", "nullable", "check", "references", "unique", "default", "comment", "up", "down", "type", "name", "keep_fill_trigger");
        var table = f.String("table", required: true);
        var column = f.String("column", required: true);
        const string Hint = "until it lands, write the expand/contract by hand: add_column (the new column, with up copying the old one) + backfill, "
            + "then drop_column of the old one in a later migration once no code reads it";
        f.NotSupported("type", "type changes come with versioned schemas (old and new code each see the column in their own type)", Hint);
        f.NotSupported("name", "renames come with versioned schemas (old code reads the old name while new code reads the new one)", Hint);
        var nullable = f.Bool("nullable");
        var check = Check(f, "check");
        var references = Reference(f, "references");
        var unique = f.Object("unique", ["name"]) is { } u && u.String("name", required: true) is { } uniqueName ? new UniqueConstraint(uniqueName) : null;
        var defaultValue = f.NullableString("default", out var hasDefault);
        if (defaultValue is not null)
        {
            context.CheckSql((YamlScalarNode)f.Value("default")!, defaultValue, SqlFragment.Expression, "alter_column.default");
        }
        var comment = f.NullableString("comment", out var hasComment);
        var up = f.Sql("up", SqlFragment.DataExpression);
        f.Ignored("down", "Stepwise changes the column in place, so there is no new column to copy back from");
        if (!f.Has("type") && !f.Has("name") && !f.Has("nullable") && !f.Has("check") && !f.Has("references") && !f.Has("unique") && !hasDefault && !hasComment)
        {
            context.Error(node, "missing-field", "alter_column changes nothing",
                "set one of nullable, check, references, unique, default or comment");
        }
        if (up is not null && nullable != false && check is null)
        {
            context.Error(f.Key("up")!, "wrong-value", "alter_column.up fills NULLs (with nullable: false) or rewrites the rows a new check would reject; this alter_column has neither",
                "use up with nullable: false or check; to change data, use a backfill operation");
        }
        return table is null || column is null
            ? null
            : new AlterColumn(table, column, nullable, check, references, unique, hasDefault, defaultValue, hasComment, comment, up, f.Bool("keep_fill_trigger") ?? false);
    }

    private static CreateTable? CreateTable(YamlFileContext context, YamlMappingNode node)
    {
        var f = Fields(context, node, "create_table", "name", "columns", "constraints", "comment");
        var name = f.String("name", required: true);
        var columns = new List<ColumnDefinition>();
        switch (f.Value("columns"))
        {
            case null:
                f.Missing("columns");
                break;
            case YamlSequenceNode { Children.Count: > 0 } list:
                foreach (var item in list.Children)
                {
                    if (ColumnFrom(context, item, "create_table.columns[]") is { } column)
                    {
                        columns.Add(column);
                    }
                }
                break;
            case var other:
                context.Error(other, other is YamlSequenceNode ? "empty-value" : "wrong-type",
                    $"create_table.columns must be a non-empty list of columns, not {(other is YamlSequenceNode ? "an empty list" : YamlFileContext.Describe(other))}",
                    "list the columns, each - name: ... type: ...");
                break;
        }
        var constraints = new List<TableConstraint>();
        switch (f.Value("constraints"))
        {
            case null:
                break;
            case YamlSequenceNode list:
                foreach (var item in list.Children)
                {
                    if (item is not YamlMappingNode constraintNode)
                    {
                        context.Error(item, "wrong-type", $"each item of create_table.constraints must be a mapping, not {YamlFileContext.Describe(item)}");
                        continue;
                    }
                    if (TableConstraint(context, constraintNode) is { } constraint)
                    {
                        constraints.Add(constraint);
                    }
                }
                break;
            case var other:
                context.Error(other, "wrong-type", $"create_table.constraints must be a list, not {YamlFileContext.Describe(other)}");
                break;
        }
        var comment = f.String("comment");
        foreach (var duplicate in columns.GroupBy(c => c.Name).Where(g => g.Count() > 1))
        {
            var second = duplicate.ElementAt(1).Position;
            context.Error(new Mark(0, second.Line, second.Column), "duplicate-column", $"create_table has two columns named '{duplicate.Key}'", "rename or remove one");
        }
        return name is null ? null : new CreateTable(name, columns, constraints, comment);
    }

    private static TableConstraint? TableConstraint(YamlFileContext context, YamlMappingNode node)
    {
        var f = Fields(context, node, "create_table.constraints[]", "name", "type", "columns", "check", "references", "deferrable", "initially_deferred",
            "nulls_not_distinct", "no_inherit", "exclude", "index_parameters");
        var name = f.String("name", required: true);
        if (f.Value("type") is YamlScalarNode { Value: "exclude" } excludeType)
        {
            context.Error(excludeType, "not-supported-yet", "exclusion constraints are not supported yet", "add it with an sql operation after the create_table");
            return null;
        }
        var type = f.Enum("type", ConstraintTypes, required: true);
        f.NotSupported("exclude", "exclusion constraints are not planned by this version", "add it with an sql operation");
        f.NotSupported("index_parameters", "index parameters of a constraint are not planned by this version", "create a unique index with create_index instead");
        var columns = f.StringList("columns") ?? [];
        var check = type == "check" ? f.Sql("check", SqlFragment.Expression, required: true) : f.String("check");
        var references = type == "foreign_key" ? Target(f, required: true) : null;
        if (type is "unique" or "primary_key" or "foreign_key" && columns.Count == 0 && f.Value("columns") is null)
        {
            f.Missing("columns", $"a {type} constraint names its columns: columns: [a, b]");
        }
        var constraint = name is null || type is null
            ? null
            : new TableConstraint(name, type, columns, check, references, f.Bool("deferrable") ?? false, f.Bool("initially_deferred") ?? false,
                f.Bool("nulls_not_distinct") ?? false, f.Bool("no_inherit") ?? false);
        return constraint;
    }

    private static DropTable? DropTable(YamlFileContext context, YamlMappingNode node)
    {
        var f = Fields(context, node, "drop_table", "name");
        return f.String("name", required: true) is { } name ? new DropTable(name) : null;
    }

    private static DropColumn? DropColumn(YamlFileContext context, YamlMappingNode node)
    {
        var f = Fields(context, node, "drop_column", "table", "column", "down");
        var table = f.String("table", required: true);
        var column = f.String("column", required: true);
        var down = f.Sql("down", SqlFragment.DataExpression);
        return table is null || column is null ? null : new DropColumn(table, column, string.IsNullOrWhiteSpace(down) ? null : down);
    }

    private static CreateIndex? CreateIndex(YamlFileContext context, YamlMappingNode node)
    {
        var f = Fields(context, node, "create_index", "name", "table", "columns", "unique", "predicate", "method", "storage_parameters", "include");
        var name = f.String("name", required: true);
        var table = f.String("table", required: true);
        var columns = IndexColumns(context, f);
        var unique = f.Bool("unique") ?? false;
        var predicate = f.Sql("predicate", SqlFragment.Expression);
        var method = f.Enum("method", IndexMethods);
        var storage = f.String("storage_parameters");
        var include = f.StringList("include");
        return name is null || table is null || columns is null
            ? null
            : new CreateIndex(name, table, columns, unique, string.IsNullOrWhiteSpace(predicate) ? null : predicate, method, include,
                string.IsNullOrWhiteSpace(storage) ? null : storage);
    }

    /// <summary>pgroll's three shapes: <c>[a, b]</c>, <c>[{column: a, sort: DESC}]</c> and <c>{a: {sort: DESC}}</c>.</summary>
    private static List<IndexColumn>? IndexColumns(YamlFileContext context, YamlFields f)
    {
        var value = f.Value("columns");
        var result = new List<IndexColumn>();
        var before = context.Errors;
        switch (value)
        {
            case null:
                f.Missing("columns", "name the indexed columns: columns: [a, b] or columns: {a: {sort: DESC}}");
                return null;
            case YamlSequenceNode list:
                foreach (var item in list.Children)
                {
                    if (item is YamlScalarNode { Value: { } column } && !YamlFileContext.IsNull(item))
                    {
                        result.Add(new IndexColumn(column));
                    }
                    else if (item is YamlMappingNode settings)
                    {
                        var s = new YamlFields(context, settings, "create_index.columns[]", IndexColumnFields);
                        if (s.String("column", required: true) is { } column2)
                        {
                            result.Add(IndexColumnSettings(s, column2));
                        }
                    }
                    else
                    {
                        context.Error(item, "wrong-type", $"each item of create_index.columns must be a column name or a mapping with column:, not {YamlFileContext.Describe(item)}");
                    }
                }
                break;
            case YamlMappingNode map:
                foreach (var (key, settings) in map.Children)
                {
                    if (key is not YamlScalarNode { Value: { } column } || YamlFileContext.IsNull(key))
                    {
                        context.Error(key, "wrong-type", $"the keys of create_index.columns must be column names, not {YamlFileContext.Describe(key)}");
                    }
                    else if (YamlFileContext.IsNull(settings))
                    {
                        result.Add(new IndexColumn(column));
                    }
                    else if (settings is YamlMappingNode settingsMap)
                    {
                        var s = new YamlFields(context, settingsMap, $"create_index.columns.{column}", IndexColumnFields.Skip(1).ToArray());
                        result.Add(IndexColumnSettings(s, column));
                    }
                    else
                    {
                        context.Error(settings, "wrong-type", $"create_index.columns.{column} must be a mapping of settings (sort, nulls, opclass, collate), not {YamlFileContext.Describe(settings)}",
                            $"write {column}: {{}} for none, or {column}: {{sort: DESC}}");
                    }
                }
                break;
            default:
                context.Error(value, "wrong-type", $"create_index.columns must be a list or a mapping of columns, not {YamlFileContext.Describe(value)}",
                    "write columns: [a, b] or columns: {a: {sort: DESC}}");
                return null;
        }
        if (context.Errors == before && result.Count == 0)
        {
            context.Error(value, "empty-value", "create_index.columns is empty", "name at least one column");
        }
        foreach (var duplicate in result.GroupBy(c => c.Name).Where(g => g.Count() > 1))
        {
            context.Error(value, "duplicate-column", $"create_index.columns names '{duplicate.Key}' twice", "remove one");
        }
        return context.Errors == before ? result : null;
    }

    private static IndexColumn IndexColumnSettings(YamlFields s, string column)
    {
        var sort = s.Enum("sort", ["ASC", "DESC"]);
        var nulls = s.Enum("nulls", ["FIRST", "LAST"]);
        var collate = s.String("collate");
        string? opclass = null;
        IReadOnlyList<string>? parameters = null;
        switch (s.Value("opclass"))
        {
            case null:
                break;
            case YamlMappingNode:
                var o = s.Object("opclass", ["name", "params"])!;
                opclass = o.String("name", required: true);
                parameters = o.StringList("params");
                break;
            default:
                opclass = s.String("opclass");
                break;
        }
        return new IndexColumn(column, sort, nulls, string.IsNullOrWhiteSpace(opclass) ? null : opclass, string.IsNullOrWhiteSpace(collate) ? null : collate,
            parameters is { Count: > 0 } ? parameters : null);
    }

    private static DropIndex? DropIndex(YamlFileContext context, YamlMappingNode node)
    {
        var f = Fields(context, node, "drop_index", "name");
        return f.String("name", required: true) is { } name ? new DropIndex(name) : null;
    }

    private static CreateConstraint? CreateConstraint(YamlFileContext context, YamlMappingNode node)
    {
        var f = Fields(context, node, "create_constraint", "table", "name", "type", "columns", "check", "references", "up", "down", "no_inherit", "index_parameters");
        var table = f.String("table", required: true);
        var name = f.String("name", required: true);
        var type = f.Enum("type", ConstraintTypes, required: true);
        var columns = f.StringList("columns");
        var check = type == "check" ? f.Sql("check", SqlFragment.Expression, required: true) : f.String("check");
        var references = type == "foreign_key" ? Target(f, required: true) : null;
        var up = f.StringMap("up", fragment: SqlFragment.DataExpression);
        f.Ignored("down", "Stepwise adds the constraint to the column in place, so there is no new column to copy back from");
        f.NotSupported("no_inherit", "NO INHERIT constraints are not planned by this version", "add it with an sql operation");
        f.NotSupported("index_parameters", "index parameters of a constraint are not planned by this version", "create a unique index with create_index");
        if (type is "unique" or "foreign_key" or "primary_key" && f.Value("columns") is null)
        {
            f.Missing("columns", $"a {type} constraint names its columns: columns: [a, b]");
        }
        return table is null || name is null || type is null
            ? null
            : new CreateConstraint(table, name, type, columns ?? [], check, references, up is { Count: > 0 } ? up : null);
    }

    private static DropConstraint? DropConstraint(YamlFileContext context, YamlMappingNode node, string kind)
    {
        var f = Fields(context, node, kind, "table", "name", "up", "down");
        var table = f.String("table", required: true);
        var name = f.String("name", required: true);
        const string Why = "Stepwise drops the constraint in place at complete, so there is no column copy to fill";
        f.Ignored("up", Why);
        f.Ignored("down", Why);
        return table is null || name is null ? null : new DropConstraint(table, name);
    }

    private static RenameConstraint? RenameConstraint(YamlFileContext context, YamlMappingNode node)
    {
        var f = Fields(context, node, "rename_constraint", "table", "from", "to");
        var table = f.String("table", required: true);
        var from = f.String("from", required: true);
        var to = f.String("to", required: true);
        return table is null || from is null || to is null ? null : new RenameConstraint(table, from, to);
    }

    private static RawSql? RawSql(YamlFileContext context, YamlMappingNode node)
    {
        var f = Fields(context, node, "sql", "up", "down", "onComplete", "complete");
        var up = f.Sql("up", SqlFragment.Statements, required: true);
        var down = f.Value("down") is YamlScalarNode { Value: var d } && string.IsNullOrWhiteSpace(d) ? null : f.Sql("down", SqlFragment.Statements);
        var onComplete = f.Bool("onComplete") ?? false;
        var complete = f.Sql("complete", SqlFragment.Statements);
        if (onComplete && down is not null)
        {
            context.Error(f.Key("down")!, "wrong-value", "sql.down cannot be used with onComplete: true (nothing runs at start, so there is nothing to undo)",
                "remove down, or run up at start (remove onComplete)");
        }
        if (onComplete && complete is not null)
        {
            context.Error(f.Key("complete")!, "wrong-value", "sql.complete cannot be used with onComplete: true (up already runs at complete)",
                "put the statements in up, or remove onComplete");
        }
        return up is null ? null : new RawSql(up, down, onComplete, complete);
    }

    private static Backfill? Backfill(YamlFileContext context, YamlMappingNode node)
    {
        var f = Fields(context, node, "backfill", "table", "set", "where");
        var table = f.String("table", required: true);
        var set = f.StringMap("set", required: true, fragment: SqlFragment.Expression);
        var where = f.Sql("where", SqlFragment.Expression);
        return table is null || set is null ? null : new Backfill(table, set, where);
    }

    private static CreateView? CreateView(YamlFileContext context, YamlMappingNode node, string kind)
    {
        var f = Fields(context, node, kind, "name", "definition");
        var name = f.String("name", required: true);
        var definition = f.Sql("definition", SqlFragment.Query, required: true);
        return name is null || definition is null ? null : new CreateView(name, definition, kind == "replace_view");
    }

    private static AssertOperation? AssertOperation(YamlFileContext context, YamlMappingNode node)
    {
        var f = Fields(context, node, "assert", "name", "sql", "when");
        var name = f.String("name", required: true);
        var sql = f.Sql("sql", SqlFragment.Query, required: true);
        var when = f.Enum("when", AssertWhen) ?? "both";
        return name is null || sql is null ? null : new AssertOperation(name, sql, when);
    }

    private static ColumnDefinition? Column(YamlFileContext context, YamlFields parent, string field)
    {
        if (parent.Value(field) is not { } value)
        {
            parent.Missing(field, $"describe the column: {field}: {{name: ..., type: ...}}");
            return null;
        }
        return ColumnFrom(context, value, $"{parent.What}.{field}");
    }

    private static ColumnDefinition? ColumnFrom(YamlFileContext context, YamlNode value, string what)
    {
        if (value is not YamlMappingNode node)
        {
            context.Error(value, "wrong-type", $"{what} must be a mapping (name, type, nullable, ...), not {YamlFileContext.Describe(value)}");
            return null;
        }
        var before = context.Errors;
        var f = new YamlFields(context, node, what, ColumnFields);
        var name = f.String("name", required: true);
        var type = f.String("type", required: true);
        // pgroll's default: a column without nullable is NOT NULL (schema.json: "nullable" default false).
        var nullable = f.Bool("nullable") ?? false;
        var defaultValue = f.Sql("default", SqlFragment.Expression);
        var pk = f.Bool("pk") ?? false;
        var unique = f.Bool("unique") ?? false;
        var check = Check(f, "check");
        var references = Reference(f, "references");
        var comment = f.String("comment");
        string? identity = null, identityOptions = null, generated = null;
        if (f.Object("generated", ["expression", "identity"]) is { } g)
        {
            generated = g.Sql("expression", SqlFragment.Expression);
            if (g.Object("identity", ["user_specified_values", "sequence_options"]) is { } i)
            {
                identity = (i.Enum("user_specified_values", ["ALWAYS", "BY DEFAULT"]) ?? "ALWAYS").ToLowerInvariant();
                identityOptions = i.String("sequence_options");
            }
            else if (g.Has("identity") && YamlFileContext.IsNull(g.Value("identity")!))
            {
                identity = "always";
            }
            if (generated is not null && identity is not null)
            {
                context.Error(g.Node, "wrong-value", $"{g.What} has both expression and identity", "a column is either computed from an expression or an identity, not both");
            }
            else if (generated is null && identity is null)
            {
                g.Missing("expression", "give expression: (a stored generated column) or identity: {} (an identity column)");
            }
        }
        if (pk && nullable && f.Has("nullable"))
        {
            context.Error(f.Value("nullable")!, "wrong-value", $"{what}: a primary key column cannot be nullable", "remove nullable: true");
        }
        return context.Errors != before || name is null || type is null
            ? null
            : new ColumnDefinition(name, type, nullable, defaultValue, pk, unique, check, references, identity, comment, generated,
                string.IsNullOrWhiteSpace(identityOptions) ? null : identityOptions) { Position = f.Position };
    }

    private static CheckConstraint? Check(YamlFields parent, string field)
    {
        if (parent.Object(field, CheckFields) is not { } f)
        {
            return null;
        }
        var name = f.String("name", required: true);
        var constraint = f.Sql("constraint", SqlFragment.Expression, required: true);
        var noInherit = f.Bool("no_inherit") ?? false;
        return name is null || constraint is null ? null : new CheckConstraint(name, constraint, noInherit);
    }

    private static ForeignKeyReference? Reference(YamlFields parent, string field)
    {
        if (parent.Object(field, ReferenceFields) is not { } f)
        {
            return null;
        }
        var name = f.String("name", required: true);
        var table = f.String("table", required: true);
        var column = f.String("column", required: true);
        var onDelete = f.Enum("on_delete", ForeignKeyActions) ?? "NO ACTION";
        var onUpdate = f.Enum("on_update", ForeignKeyActions) ?? "NO ACTION";
        var match = f.Enum("match_type", MatchTypes) ?? "SIMPLE";
        var deferrable = f.Bool("deferrable") ?? false;
        var initiallyDeferred = f.Bool("initially_deferred") ?? false;
        return name is null || table is null || column is null
            ? null
            : new ForeignKeyReference(name, table, column, onDelete, onUpdate, match, deferrable, initiallyDeferred);
    }

    private static ForeignKeyTarget? Target(YamlFields parent, bool required)
    {
        if (parent.Object("references", TargetFields, required) is not { } f)
        {
            return null;
        }
        var table = f.String("table", required: true);
        var columns = f.StringList("columns", required: true, nonEmpty: true);
        var onDelete = f.Enum("on_delete", ForeignKeyActions) ?? "NO ACTION";
        var onUpdate = f.Enum("on_update", ForeignKeyActions) ?? "NO ACTION";
        var match = f.Enum("match_type", MatchTypes) ?? "SIMPLE";
        f.NotSupported("on_delete_set_columns", "ON DELETE SET NULL/DEFAULT (columns) is not planned by this version", "add the constraint with an sql operation");
        return table is null || columns is null ? null : new ForeignKeyTarget(table, columns, onDelete, onUpdate, match);
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
}
