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
