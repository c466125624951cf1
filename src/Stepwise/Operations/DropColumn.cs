namespace Stepwise.Operations;

/// <summary><c>drop_column</c>: the column stays until complete (old code still reads it), then is dropped.</summary>
public sealed record DropColumn(string Table, string Column) : Operation
{
    /// <inheritdoc />
    public override string Kind => "drop_column";
}
