namespace Stepwise.Catalog;

/// <summary>
/// An immutable model of a database's schema as <c>pg_catalog</c> describes it (Stepwise's own state
/// schema and the system schemas left out). Everything is ordered by name, so two models of equal
/// schemas are equal piece by piece.
/// </summary>
public sealed record SchemaModel
{
    /// <summary>User schemas.</summary>
    public IReadOnlyList<string> Schemas { get; init; } = [];

    /// <summary>Installed extensions (name and version).</summary>
    public IReadOnlyList<ExtensionModel> Extensions { get; init; } = [];

    /// <summary>Ordinary and partitioned tables, with their columns and constraints.</summary>
    public IReadOnlyList<TableModel> Tables { get; init; } = [];

    /// <summary>Indexes (including those behind primary key and unique constraints).</summary>
    public IReadOnlyList<IndexModel> Indexes { get; init; } = [];

    /// <summary>Views and materialized views.</summary>
    public IReadOnlyList<ViewModel> Views { get; init; } = [];

    /// <summary>Sequences.</summary>
    public IReadOnlyList<SequenceModel> Sequences { get; init; } = [];

    /// <summary>Enum types with their labels in order.</summary>
    public IReadOnlyList<EnumModel> Enums { get; init; } = [];

    /// <summary>Functions and procedures.</summary>
    public IReadOnlyList<FunctionModel> Functions { get; init; } = [];

    /// <summary>Triggers (internal ones, such as foreign key triggers, left out).</summary>
    public IReadOnlyList<TriggerModel> Triggers { get; init; } = [];
}

/// <summary>An extension.</summary>
public sealed record ExtensionModel(string Name, string Version);

/// <summary>A table.</summary>
public sealed record TableModel(string Schema, string Name, string Kind, bool Unlogged, bool RowSecurity, string? Comment,
    IReadOnlyList<ColumnModel> Columns, IReadOnlyList<ConstraintModel> Constraints)
{
    /// <summary><c>schema.name</c>.</summary>
    public string QualifiedName => $"{Schema}.{Name}";
}

/// <summary>A column: type with modifiers, nullability, default, identity, generated expression, collation, comment.</summary>
public sealed record ColumnModel(string Name, string Type, bool NotNull, string? Default, string? Identity, string? Generated, string? Collation, string? Comment);

/// <summary>A constraint with its definition as PostgreSQL prints it and whether it is validated.</summary>
public sealed record ConstraintModel(string Name, string Type, string Definition, bool Validated, bool Deferrable, bool InitiallyDeferred);

/// <summary>An index with its definition as PostgreSQL prints it and whether it is valid.</summary>
public sealed record IndexModel(string Schema, string Table, string Name, string Definition, bool Unique, bool Valid);

/// <summary>A view or materialized view with its normalized definition.</summary>
public sealed record ViewModel(string Schema, string Name, bool Materialized, string Definition);

/// <summary>A sequence.</summary>
public sealed record SequenceModel(string Schema, string Name, string Type, long Increment, long Min, long Max, bool Cycle, string? OwnedBy);

/// <summary>An enum type.</summary>
public sealed record EnumModel(string Schema, string Name, IReadOnlyList<string> Labels);

/// <summary>A function or procedure: signature, kind and a hash of its body.</summary>
public sealed record FunctionModel(string Schema, string Signature, string Kind, string Returns, string Language, string BodyHash);

/// <summary>A trigger with its definition as PostgreSQL prints it.</summary>
public sealed record TriggerModel(string Schema, string Table, string Name, string Definition, bool Enabled);
