using YamlDotNet.RepresentationModel;

namespace Stepwise.Operations;

/// <summary>A foreign key of a column (pgroll's <c>references</c>).</summary>
/// <param name="OnDelete"><c>NO ACTION</c> (default), <c>RESTRICT</c>, <c>CASCADE</c>, <c>SET NULL</c> or <c>SET DEFAULT</c>.</param>
/// <param name="OnUpdate">pgroll's <c>on_update</c>: the same actions as <paramref name="OnDelete"/>.</param>
/// <param name="MatchType">pgroll's <c>match_type</c>: <c>SIMPLE</c> (default) or <c>FULL</c>.</param>
public sealed record ForeignKeyReference(string Name, string Table, string Column, string OnDelete = "NO ACTION", string OnUpdate = "NO ACTION",
    string MatchType = "SIMPLE", bool Deferrable = false, bool InitiallyDeferred = false)
{
    /// <summary>A foreign key's <c>on_delete</c> and <c>on_update</c>.</summary>
    internal static readonly string[] Actions = ["NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"];

    /// <summary>A foreign key's <c>match_type</c>.</summary>
    internal static readonly string[] MatchTypes = ["SIMPLE", "FULL"];

    /// <summary>The <paramref name="field"/> of <paramref name="parent"/>, when present.</summary>
    internal static ForeignKeyReference? Read(YamlFields parent, string field)
    {
        if (parent.Object(field, ["name", "table", "column", "on_delete", "on_update", "match_type", "deferrable", "initially_deferred"]) is not { } f)
        {
            return null;
        }
        var name = f.String("name", required: true);
        var table = f.String("table", required: true);
        var column = f.String("column", required: true);
        var onDelete = f.Enum("on_delete", Actions) ?? "NO ACTION";
        var onUpdate = f.Enum("on_update", Actions) ?? "NO ACTION";
        var match = f.Enum("match_type", MatchTypes) ?? "SIMPLE";
        var deferrable = f.Bool("deferrable") ?? false;
        var initiallyDeferred = f.Bool("initially_deferred") ?? false;
        return name is null || table is null || column is null
            ? null
            : new ForeignKeyReference(name, table, column, onDelete, onUpdate, match, deferrable, initiallyDeferred);
    }
}

/// <summary>The referenced side of a multi-column foreign key.</summary>
/// <param name="OnUpdate">pgroll's <c>on_update</c>.</param>
/// <param name="MatchType">pgroll's <c>match_type</c>: <c>SIMPLE</c> (default) or <c>FULL</c>.</param>
public sealed record ForeignKeyTarget(string Table, IReadOnlyList<string> Columns, string OnDelete = "NO ACTION", string OnUpdate = "NO ACTION", string MatchType = "SIMPLE")
{
    /// <summary>The <c>references</c> of <paramref name="parent"/> (a constraint of type <c>foreign_key</c>).</summary>
    internal static ForeignKeyTarget? Read(YamlFields parent, bool required)
    {
        if (parent.Object("references", ["table", "columns", "on_delete", "on_update", "match_type", "on_delete_set_columns"], required) is not { } f)
        {
            return null;
        }
        var table = f.String("table", required: true);
        var columns = f.StringList("columns", required: true, nonEmpty: true);
        var onDelete = f.Enum("on_delete", ForeignKeyReference.Actions) ?? "NO ACTION";
        var onUpdate = f.Enum("on_update", ForeignKeyReference.Actions) ?? "NO ACTION";
        var match = f.Enum("match_type", ForeignKeyReference.MatchTypes) ?? "SIMPLE";
        f.NotSupported("on_delete_set_columns", "ON DELETE SET NULL/DEFAULT (columns) is not planned by this version", "add the constraint with an sql operation");
        return table is null || columns is null ? null : new ForeignKeyTarget(table, columns, onDelete, onUpdate, match);
    }
}

/// <summary>A named check constraint (pgroll's <c>check</c>: name and constraint expression).</summary>
/// <param name="NoInherit">pgroll's <c>no_inherit</c>: not propagated to child tables.</param>
public sealed record CheckConstraint(string Name, string Constraint, bool NoInherit = false)
{
    /// <summary>The <paramref name="field"/> of <paramref name="parent"/>, when present.</summary>
    internal static CheckConstraint? Read(YamlFields parent, string field)
    {
        if (parent.Object(field, ["name", "constraint", "no_inherit"]) is not { } f)
        {
            return null;
        }
        var name = f.String("name", required: true);
        var constraint = f.Sql("constraint", SqlFragment.Expression, required: true);
        var noInherit = f.Bool("no_inherit") ?? false;
        return name is null || constraint is null ? null : new CheckConstraint(name, constraint, noInherit);
    }
}

/// <summary>A column as <c>create_table</c> and <c>add_column</c> describe it.</summary>
/// <param name="Type">A type name and nothing more (checked with PostgreSQL's parser when read).</param>
/// <param name="Nullable">Whether NULL is allowed (the default when the field is absent is pgroll's).</param>
/// <param name="Default">An SQL expression.</param>
/// <param name="Pk">Part of the primary key.</param>
/// <param name="Identity"><c>always</c> or <c>by default</c> (pgroll's <c>generated: {identity: {user_specified_values}}</c>).</param>
/// <param name="Generated">The expression of a stored generated column (pgroll's <c>generated: {expression}</c>).</param>
/// <param name="IdentityOptions">Sequence options of an identity column, as in CREATE SEQUENCE (pgroll's <c>sequence_options</c>).</param>
public sealed record ColumnDefinition(string Name, string Type, bool Nullable, string? Default = null, bool Pk = false, bool Unique = false,
    CheckConstraint? Check = null, ForeignKeyReference? References = null, string? Identity = null, string? Comment = null,
    string? Generated = null, string? IdentityOptions = null)
{
    /// <summary>Where the column is written.</summary>
    public FilePosition Position { get; init; }

    /// <summary>The column in <paramref name="field"/> of <paramref name="parent"/>, which must be there.</summary>
    internal static ColumnDefinition? Read(YamlFields parent, string field)
    {
        if (parent.Value(field) is not { } value)
        {
            parent.Missing(field, $"describe the column: {field}: {{name: ..., type: ...}}");
            return null;
        }
        return From(parent.Context, value, $"{parent.What}.{field}");
    }

    /// <summary>The column written as <paramref name="value"/>, named <paramref name="what"/> in messages.</summary>
    internal static ColumnDefinition? From(YamlFileContext context, YamlNode value, string what)
    {
        if (value is not YamlMappingNode node)
        {
            context.Error(value, "wrong-type", $"{what} must be a mapping (name, type, nullable, ...), not {YamlFileContext.Describe(value)}");
            return null;
        }
        var before = context.Errors;
        var f = new YamlFields(context, node, what, ["name", "type", "nullable", "default", "pk", "unique", "check", "references", "comment", "generated"]);
        var name = f.String("name", required: true);
        var type = f.TypeName("type", required: true);
        // pgroll's default: a column without nullable is NOT NULL (schema.json: "nullable" default false).
        var nullable = f.Bool("nullable") ?? false;
        var defaultValue = f.Sql("default", SqlFragment.Expression);
        var pk = f.Bool("pk") ?? false;
        var unique = f.Bool("unique") ?? false;
        var check = CheckConstraint.Read(f, "check");
        var references = ForeignKeyReference.Read(f, "references");
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
}

/// <summary>
/// pgroll's <c>index_parameters</c> of a unique, primary key or exclusion constraint: the index's tablespace, storage
/// parameters and INCLUDE columns.
/// </summary>
/// <param name="StorageParameters">WITH (...) contents, e.g. <c>fillfactor=70</c>.</param>
/// <param name="IncludeColumns">Non-key columns stored in the index (INCLUDE).</param>
public sealed record IndexParameters(string? Tablespace, string? StorageParameters, IReadOnlyList<string> IncludeColumns)
{
    /// <summary>The <c>index_parameters</c> of <paramref name="parent"/>, when present and not empty.</summary>
    internal static IndexParameters? Read(YamlFields parent)
    {
        if (parent.Object("index_parameters", ["tablespace", "storage_parameters", "include_columns"]) is not { } f)
        {
            return null;
        }
        var tablespace = f.String("tablespace");
        var storage = f.String("storage_parameters");
        var include = f.StringList("include_columns") ?? [];
        var parameters = new IndexParameters(string.IsNullOrWhiteSpace(tablespace) ? null : tablespace, string.IsNullOrWhiteSpace(storage) ? null : storage, include);
        return parameters is { Tablespace: null, StorageParameters: null, IncludeColumns.Count: 0 } ? null : parameters;
    }

    /// <summary>As a constraint writes them: <c> INCLUDE (...) WITH (...) USING INDEX TABLESPACE ...</c>.</summary>
    public string ConstraintClause => Include + With + (Tablespace is null ? "" : $" USING INDEX TABLESPACE {Sql.Quote.Ident(Tablespace)}");

    /// <summary>As <c>CREATE INDEX</c> writes them: <c> INCLUDE (...) WITH (...) TABLESPACE ...</c>.</summary>
    public string IndexClause => Include + With + (Tablespace is null ? "" : $" TABLESPACE {Sql.Quote.Ident(Tablespace)}");

    private string Include => IncludeColumns.Count == 0 ? "" : $" INCLUDE ({string.Join(", ", IncludeColumns.Select(Sql.Quote.Ident))})";

    private string With => StorageParameters is null ? "" : $" WITH ({StorageParameters})";

    /// <summary>Every INCLUDE column must be a column of the table.</summary>
    internal void RequireColumns(IEnumerable<string> columns, string table, FilePosition position)
    {
        var known = columns.ToHashSet(StringComparer.Ordinal);
        if (IncludeColumns.FirstOrDefault(c => !known.Contains(c)) is { } missing)
        {
            throw new PlanningException($"index_parameters.include_columns names {missing}, which is not a column of {table}", position, "check the name");
        }
    }
}

/// <summary>pgroll's <c>exclude</c> of an exclusion constraint: <c>EXCLUDE USING method (elements) WHERE (predicate)</c>.</summary>
/// <param name="Method">The index method: <c>btree</c> (PostgreSQL's default), <c>hash</c>, <c>gist</c> or <c>spgist</c> (those that can enforce one).</param>
/// <param name="Elements">As written in the parentheses: <c>title WITH =</c>, <c>room WITH =, during WITH &amp;&amp;</c>.</param>
/// <param name="Predicate">A partial constraint's WHERE.</param>
public sealed record ExclusionConstraint(string Method, string Elements, string? Predicate = null)
{
    /// <summary>The index methods that can enforce an exclusion constraint (they support amgettuple).</summary>
    private static readonly string[] Methods = ["btree", "hash", "gist", "spgist"];

    /// <summary>The <c>exclude</c> of <paramref name="parent"/> (a constraint of type <c>exclude</c>).</summary>
    internal static ExclusionConstraint? Read(YamlFields parent)
    {
        if (parent.Object("exclude", ["index_method", "elements", "predicate"], required: true) is not { } f)
        {
            return null;
        }
        var method = f.Value("index_method") is YamlScalarNode { Value: { } m } && string.IsNullOrWhiteSpace(m) ? null : f.Enum("index_method", Methods);
        var elements = f.Sql("elements", SqlFragment.ExclusionElements, required: true);
        var predicate = f.Value("predicate") is YamlScalarNode { Value: { } p } && string.IsNullOrWhiteSpace(p) ? null : f.Sql("predicate", SqlFragment.Expression);
        return elements is null ? null : new ExclusionConstraint(method ?? "btree", elements, predicate);
    }

    /// <summary>The constraint's definition, with its index parameters.</summary>
    public string Definition(IndexParameters? parameters) =>
        $"EXCLUDE USING {Method} ({Elements}){parameters?.ConstraintClause}{(Predicate is null ? "" : $" WHERE ({Predicate})")}";
}
