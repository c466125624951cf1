namespace Stepwise.Operations;

/// <summary>
/// <c>backfill</c> (a Stepwise addition): a batched data migration, <c>UPDATE table SET column = expression
/// [WHERE where]</c> in keyset batches, resumable after a crash.
/// </summary>
/// <param name="Set">Column → SQL expression over the row's columns.</param>
public sealed record Backfill(string Table, IReadOnlyDictionary<string, string> Set, string? Where = null) : Operation
{
    /// <inheritdoc />
    public override string Kind => "backfill";
}
