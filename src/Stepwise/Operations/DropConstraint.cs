namespace Stepwise.Operations;

/// <summary><c>drop_constraint</c> (also read from pgroll's <c>drop_multicolumn_constraint</c>): dropped at complete.</summary>
public sealed record DropConstraint(string Table, string Name) : Operation
{
    /// <inheritdoc />
    public override string Kind => "drop_constraint";
}
