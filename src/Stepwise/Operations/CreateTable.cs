namespace Stepwise.Operations;

/// <summary><c>create_table</c>: a new table with its columns and table constraints.</summary>
public sealed record CreateTable(string Name, IReadOnlyList<ColumnDefinition> Columns, IReadOnlyList<TableConstraint> Constraints, string? Comment = null) : Operation
{
    /// <inheritdoc />
    public override string Kind => "create_table";
}

/// <summary>A table constraint of <c>create_table</c> (pgroll's <c>constraints</c>).</summary>
/// <param name="Type"><c>unique</c>, <c>check</c>, <c>primary_key</c> or <c>foreign_key</c>.</param>
/// <param name="NullsNotDistinct">pgroll's <c>nulls_not_distinct</c> (unique only).</param>
/// <param name="NoInherit">pgroll's <c>no_inherit</c> (check only).</param>
public sealed record TableConstraint(string Name, string Type, IReadOnlyList<string> Columns, string? Check = null, ForeignKeyTarget? References = null,
    bool Deferrable = false, bool InitiallyDeferred = false, bool NullsNotDistinct = false, bool NoInherit = false);

/// <summary>The referenced side of a multi-column foreign key.</summary>
/// <param name="OnUpdate">pgroll's <c>on_update</c>.</param>
/// <param name="MatchType">pgroll's <c>match_type</c>: <c>SIMPLE</c> (default) or <c>FULL</c>.</param>
public sealed record ForeignKeyTarget(string Table, IReadOnlyList<string> Columns, string OnDelete = "NO ACTION", string OnUpdate = "NO ACTION", string MatchType = "SIMPLE");
