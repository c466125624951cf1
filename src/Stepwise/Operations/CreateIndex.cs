using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary><c>create_index</c>, always built CONCURRENTLY (an INVALID leftover of an interrupted build is dropped and the build retried).</summary>
/// <param name="Method"><c>btree</c> (default), <c>hash</c>, <c>gist</c>, <c>spgist</c>, <c>gin</c>, <c>brin</c>.</param>
/// <param name="Predicate">The WHERE of a partial index.</param>
/// <param name="Include">Non-key columns (INCLUDE).</param>
/// <param name="StorageParameters">WITH (...) contents, as pgroll's <c>storage_parameters</c>.</param>
public sealed record CreateIndex(string Name, string Table, IReadOnlyList<IndexColumn> Columns, bool Unique = false, string? Predicate = null, string? Method = null,
    IReadOnlyList<string>? Include = null, string? StorageParameters = null) : Operation
{
    /// <inheritdoc />
    public override string Kind => "create_index";

    /// <summary>Start: <c>CREATE INDEX CONCURRENTLY</c> (an INVALID leftover is dropped first by the executor). Rollback: dropped concurrently.</summary>
    public override void Plan(PlanBuilder plan)
    {
        var table = plan.RequireTable(Table, Position);
        foreach (var column in Columns)
        {
            PlanBuilder.RequireColumn(table, column.Name, Position);
        }
        var keys = string.Join(", ", Columns.Select(c => Quote.Ident(c.Name) + (c.Collate is null ? "" : $" COLLATE {Quote.Ident(c.Collate)}")
            + (c.Opclass is null ? "" : $" {PlanBuilder.Qualified(c.Opclass)}{(c.OpclassParams is { Count: > 0 } ps ? $" ({string.Join(", ", ps)})" : "")}") + (c.Sort is null ? "" : $" {c.Sort.ToUpperInvariant()}") + (c.Nulls is null ? "" : $" NULLS {c.Nulls.ToUpperInvariant()}")));
        var sql = $"CREATE {(Unique ? "UNIQUE " : "")}INDEX CONCURRENTLY {Quote.Ident(Name)} ON {Quote.Ident(table.Schema, table.Name)}"
            + (Method is null ? "" : $" USING {Method}") + $" ({keys})"
            + (Include is { Count: > 0 } include ? $" INCLUDE ({string.Join(", ", include.Select(Quote.Ident))})" : "")
            + (StorageParameters is null ? "" : $" WITH ({StorageParameters})")
            + (Predicate is null ? "" : $" WHERE {Predicate}");
        plan.Start(Steps.Sql($"index {Name} on {table.QualifiedName} (concurrently)", sql),
            Steps.Sql($"drop index {Name}", $"DROP INDEX CONCURRENTLY IF EXISTS {Quote.Ident(table.Schema, Name)}"));
    }
}

/// <summary>
/// One key column: pgroll's list forms (<c>[a, b]</c>, <c>[{column: a, sort: DESC}]</c>) or map form
/// (<c>{a: {sort: DESC, nulls: LAST, opclass: ...}}</c>).
/// </summary>
/// <param name="Sort"><c>ASC</c> or <c>DESC</c>; null for the default.</param>
/// <param name="Nulls"><c>FIRST</c> or <c>LAST</c>; null for the default.</param>
/// <param name="OpclassParams">Operator class parameters (<c>name=value</c>), pgroll's <c>opclass: {name, params}</c>.</param>
public sealed record IndexColumn(string Name, string? Sort = null, string? Nulls = null, string? Opclass = null, string? Collate = null,
    IReadOnlyList<string>? OpclassParams = null);
