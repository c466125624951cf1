namespace Stepwise.Operations;

/// <summary>
/// <c>add_column</c>: a new column on an existing table. <see cref="Up"/> (an SQL expression over the row's
/// columns by bare name) fills existing rows through a batched backfill and rows written by code that does
/// not set the column through a fill trigger.
/// </summary>
public sealed record AddColumn(string Table, ColumnDefinition Column, string? Up) : Operation
{
    /// <inheritdoc />
    public override string Kind => "add_column";
}
