namespace Stepwise.Operations;

/// <summary><c>drop_index</c>, CONCURRENTLY, at complete (old code may still use it until then).</summary>
public sealed record DropIndex(string Name) : Operation
{
    /// <inheritdoc />
    public override string Kind => "drop_index";
}
