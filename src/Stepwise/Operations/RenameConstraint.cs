namespace Stepwise.Operations;

/// <summary><c>rename_constraint</c>: metadata only.</summary>
public sealed record RenameConstraint(string Table, string From, string To) : Operation
{
    /// <inheritdoc />
    public override string Kind => "rename_constraint";
}
