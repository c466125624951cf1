using Stepwise.Planning;
using Stepwise.Sql;
using YamlDotNet.RepresentationModel;

namespace Stepwise.Operations;

/// <summary><c>create_index</c>, always built CONCURRENTLY (an INVALID leftover of an interrupted build is dropped and the build retried).</summary>
/// <param name="Method"><c>btree</c> (default), <c>hash</c>, <c>gist</c>, <c>spgist</c>, <c>gin</c>, <c>brin</c>.</param>
/// <param name="Predicate">The WHERE of a partial index.</param>
/// <param name="Include">Non-key columns (INCLUDE).</param>
/// <param name="StorageParameters">WITH (...) contents, as pgroll's <c>storage_parameters</c>.</param>
public sealed record CreateIndex(string Name, string Table, IReadOnlyList<IndexColumn> Columns, bool Unique = false, string? Predicate = null, string? Method = null,
    IReadOnlyList<string>? Include = null, string? StorageParameters = null) : Operation, IOperationFormat
{
    static OperationFormat IOperationFormat.Format { get; } = new("create_index",
        ["name", "table", "columns", "unique", "predicate", "method", "storage_parameters", "include"], f =>
    {
        var name = f.String("name", required: true);
        var table = f.String("table", required: true);
        var columns = IndexColumn.ReadAll(f);
        var unique = f.Bool("unique") ?? false;
        var predicate = f.Sql("predicate", SqlFragment.Expression);
        var method = f.Enum("method", ["btree", "hash", "gist", "spgist", "gin", "brin"]);
        var storage = f.String("storage_parameters");
        var include = f.StringList("include");
        return name is null || table is null || columns is null
            ? null
            : new CreateIndex(name, table, columns, unique, string.IsNullOrWhiteSpace(predicate) ? null : predicate, method, include,
                string.IsNullOrWhiteSpace(storage) ? null : storage);
    });

    /// <summary>Start: <c>CREATE INDEX CONCURRENTLY</c> (an INVALID leftover is dropped first by the executor). Rollback: dropped concurrently.</summary>
    public override void Plan(PlanBuilder plan)
    {
        var table = plan.RequireTable(Table, Position);
        foreach (var column in Columns)
        {
            PlanBuilder.RequireColumn(table, column.Name, Position);
        }
        var keys = string.Join(", ", Columns.Select(c => Quote.Ident(c.Name) + (c.Collate is null ? "" : $" COLLATE {Quote.Ident(c.Collate)}")
            + (c.Opclass is null ? "" : $" {Opclass(c.Opclass)}{(c.OpclassParams is { Count: > 0 } ps ? $" ({string.Join(", ", ps)})" : "")}") + (c.Sort is null ? "" : $" {c.Sort.ToUpperInvariant()}") + (c.Nulls is null ? "" : $" NULLS {c.Nulls.ToUpperInvariant()}")));
        var sql = $"CREATE {(Unique ? "UNIQUE " : "")}INDEX CONCURRENTLY {Quote.Ident(Name)} ON {Quote.Ident(table.Schema, table.Name)}"
            + (Method is null ? "" : $" USING {Method}") + $" ({keys})"
            + (Include is { Count: > 0 } include ? $" INCLUDE ({string.Join(", ", include.Select(Quote.Ident))})" : "")
            + (StorageParameters is null ? "" : $" WITH ({StorageParameters})")
            + (Predicate is null ? "" : $" WHERE {Predicate}");
        plan.Start(Steps.Sql($"index {Name} on {table.QualifiedName} (concurrently)", sql),
            Steps.Sql($"drop index {Name}", $"DROP INDEX CONCURRENTLY IF EXISTS {Quote.Ident(table.Schema, Name)}"));
    }

    /// <summary>
    /// An operator class as PostgreSQL resolves it: an unqualified name stays unqualified (quoted), so the search path finds it, built-in
    /// ones in pg_catalog included; a qualified one keeps its schema.
    /// </summary>
    private static string Opclass(string name) => name.Contains('.', StringComparison.Ordinal) ? PlanBuilder.Qualified(name) : Quote.Ident(name);
}

/// <summary>
/// One key column: pgroll's list forms (<c>[a, b]</c>, <c>[{column: a, sort: DESC}]</c>) or map form
/// (<c>{a: {sort: DESC, nulls: LAST, opclass: ...}}</c>).
/// </summary>
/// <param name="Sort"><c>ASC</c> or <c>DESC</c>; null for the default.</param>
/// <param name="Nulls"><c>FIRST</c> or <c>LAST</c>; null for the default.</param>
/// <param name="OpclassParams">Operator class parameters (<c>name=value</c>), pgroll's <c>opclass: {name, params}</c>.</param>
public sealed record IndexColumn(string Name, string? Sort = null, string? Nulls = null, string? Opclass = null, string? Collate = null,
    IReadOnlyList<string>? OpclassParams = null)
{
    private static readonly string[] Fields = ["column", "sort", "nulls", "opclass", "collate"];

    /// <summary>The <c>columns</c> of <c>create_index</c> in pgroll's three shapes: <c>[a, b]</c>, <c>[{column: a, sort: DESC}]</c> and <c>{a: {sort: DESC}}</c>.</summary>
    internal static List<IndexColumn>? ReadAll(YamlFields f)
    {
        var context = f.Context;
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
                        var s = new YamlFields(context, settings, $"{f.What}.columns[]", Fields);
                        if (s.String("column", required: true) is { } column2)
                        {
                            result.Add(Read(s, column2));
                        }
                    }
                    else
                    {
                        context.Error(item, "wrong-type", $"each item of {f.What}.columns must be a column name or a mapping with column:, not {YamlFileContext.Describe(item)}");
                    }
                }
                break;
            case YamlMappingNode map:
                foreach (var (key, settings) in map.Children)
                {
                    if (key is not YamlScalarNode { Value: { } column } || YamlFileContext.IsNull(key))
                    {
                        context.Error(key, "wrong-type", $"the keys of {f.What}.columns must be column names, not {YamlFileContext.Describe(key)}");
                    }
                    else if (YamlFileContext.IsNull(settings))
                    {
                        result.Add(new IndexColumn(column));
                    }
                    else if (settings is YamlMappingNode settingsMap)
                    {
                        result.Add(Read(new YamlFields(context, settingsMap, $"{f.What}.columns.{column}", Fields[1..]), column));
                    }
                    else
                    {
                        context.Error(settings, "wrong-type", $"{f.What}.columns.{column} must be a mapping of settings (sort, nulls, opclass, collate), not {YamlFileContext.Describe(settings)}",
                            $"write {column}: {{}} for none, or {column}: {{sort: DESC}}");
                    }
                }
                break;
            default:
                context.Error(value, "wrong-type", $"{f.What}.columns must be a list or a mapping of columns, not {YamlFileContext.Describe(value)}",
                    "write columns: [a, b] or columns: {a: {sort: DESC}}");
                return null;
        }
        if (context.Errors == before && result.Count == 0)
        {
            context.Error(value, "empty-value", $"{f.What}.columns is empty", "name at least one column");
        }
        foreach (var duplicate in result.GroupBy(c => c.Name).Where(g => g.Count() > 1))
        {
            context.Error(value, "duplicate-column", $"{f.What}.columns names '{duplicate.Key}' twice", "remove one");
        }
        return context.Errors == before ? result : null;
    }

    private static IndexColumn Read(YamlFields s, string column)
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
}
