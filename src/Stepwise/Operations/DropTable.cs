namespace Stepwise.Operations;

/// <summary><c>drop_table</c>: the table stays until complete (old code still uses it), then is dropped.</summary>
public sealed record DropTable(string Name) : Operation
{
    /// <inheritdoc />
    public override string Kind => "drop_table";
}
