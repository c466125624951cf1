namespace Stepwise.Operations;

/// <summary>Where something was written in an operation file (1-based line and column).</summary>
public readonly record struct FilePosition(int Line, int Column);

/// <summary>
/// One declarative operation of an operation migration (<c>.yaml</c>/<c>.json</c>), named as pgroll names it
/// (<c>add_column</c>, <c>create_index</c>, ...). Each kind is one file in this folder and turns itself into a
/// plan of steps: start (expand), complete (contract) and rollback (undo start).
/// </summary>
public abstract record Operation
{
    /// <summary>The operation's name in the file: <c>add_column</c>, <c>create_index</c>, ...</summary>
    public abstract string Kind { get; }

    /// <summary>Where the operation starts in the file.</summary>
    public FilePosition Position { get; init; }

    /// <summary>Adds this operation's start, complete and rollback steps to <paramref name="plan"/>.</summary>
    /// <exception cref="PlanningException">The operation does not fit the schema, or is not supported yet.</exception>
    public abstract void Plan(PlanBuilder plan);
}

/// <summary>A foreign key of a column (pgroll's <c>references</c>).</summary>
/// <param name="OnDelete"><c>NO ACTION</c> (default), <c>RESTRICT</c>, <c>CASCADE</c>, <c>SET NULL</c> or <c>SET DEFAULT</c>.</param>
/// <param name="OnUpdate">pgroll's <c>on_update</c>: the same actions as <paramref name="OnDelete"/>.</param>
/// <param name="MatchType">pgroll's <c>match_type</c>: <c>SIMPLE</c> (default) or <c>FULL</c>.</param>
public sealed record ForeignKeyReference(string Name, string Table, string Column, string OnDelete = "NO ACTION", string OnUpdate = "NO ACTION",
    string MatchType = "SIMPLE", bool Deferrable = false, bool InitiallyDeferred = false);

/// <summary>A named check constraint (pgroll's <c>check</c>: name and constraint expression).</summary>
/// <param name="NoInherit">pgroll's <c>no_inherit</c>: not propagated to child tables.</param>
public sealed record CheckConstraint(string Name, string Constraint, bool NoInherit = false);

/// <summary>A column as <c>create_table</c> and <c>add_column</c> describe it.</summary>
/// <param name="Nullable">Whether NULL is allowed (the default when the field is absent is pgroll's).</param>
/// <param name="Default">An SQL expression.</param>
/// <param name="Pk">Part of the primary key.</param>
/// <param name="Identity"><c>always</c> or <c>by default</c> (pgroll's <c>generated: {identity: {user_specified_values}}</c>).</param>
/// <param name="Generated">The expression of a stored generated column (pgroll's <c>generated: {expression}</c>).</param>
/// <param name="IdentityOptions">Sequence options of an identity column, as in CREATE SEQUENCE (pgroll's <c>sequence_options</c>).</param>
public sealed record ColumnDefinition(string Name, string Type, bool Nullable, string? Default = null, bool Pk = false, bool Unique = false,
    CheckConstraint? Check = null, ForeignKeyReference? References = null, string? Identity = null, string? Comment = null,
    string? Generated = null, string? IdentityOptions = null)
{
    /// <summary>Where the column is written.</summary>
    public FilePosition Position { get; init; }
}

/// <summary>An operation migration file: its optional name and its operations, in order (never empty).</summary>
public sealed record OperationFile(string? Name, IReadOnlyList<Operation> Operations);
