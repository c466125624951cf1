namespace Stepwise.Operations;

/// <summary><c>create_constraint</c>: a check, foreign key or unique constraint on existing rows, added without a long lock.</summary>
/// <param name="Type"><c>check</c>, <c>foreign_key</c> or <c>unique</c>.</param>
/// <param name="Check">For a check: the expression.</param>
/// <param name="References">For a foreign key: the referenced table and columns.</param>
/// <param name="Up">pgroll's per-column <c>up</c> expressions (to fix rows that break the constraint before it is validated).</param>
public sealed record CreateConstraint(string Table, string Name, string Type, IReadOnlyList<string> Columns, string? Check = null, ForeignKeyTarget? References = null,
    IReadOnlyDictionary<string, string>? Up = null) : Operation
{
    /// <inheritdoc />
    public override string Kind => "create_constraint";
}
