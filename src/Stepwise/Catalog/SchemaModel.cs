using System.Text.Json.Serialization;

namespace Stepwise.Catalog;

/// <summary>
/// An immutable model of a database's schema as <c>pg_catalog</c> describes it (Stepwise's own state
/// schema, its helper objects named <c>_stepwise_*</c>, extension members and the system schemas left
/// out). Everything is ordered by name, so two models of equal schemas are equal piece by piece.
/// </summary>
public sealed record SchemaModel
{
    /// <summary>User schemas.</summary>
    public IReadOnlyList<SchemaInfo> Schemas { get; init; } = [];

    /// <summary>Installed extensions (name, version, schema).</summary>
    public IReadOnlyList<ExtensionModel> Extensions { get; init; } = [];

    /// <summary>Ordinary and partitioned tables, with their columns and constraints.</summary>
    public IReadOnlyList<TableModel> Tables { get; init; } = [];

    /// <summary>Indexes (including those behind primary key, unique and exclusion constraints).</summary>
    public IReadOnlyList<IndexModel> Indexes { get; init; } = [];

    /// <summary>Views and materialized views.</summary>
    public IReadOnlyList<ViewModel> Views { get; init; } = [];

    /// <summary>Sequences.</summary>
    public IReadOnlyList<SequenceModel> Sequences { get; init; } = [];

    /// <summary>Enum types with their labels in order.</summary>
    public IReadOnlyList<EnumModel> Enums { get; init; } = [];

    /// <summary>Domains with their constraints.</summary>
    public IReadOnlyList<DomainModel> Domains { get; init; } = [];

    /// <summary>Composite types created with <c>CREATE TYPE ... AS (...)</c> (not the row types of tables).</summary>
    public IReadOnlyList<CompositeTypeModel> CompositeTypes { get; init; } = [];

    /// <summary>Functions and procedures.</summary>
    public IReadOnlyList<FunctionModel> Functions { get; init; } = [];

    /// <summary>Triggers (internal ones, such as foreign key triggers, left out).</summary>
    public IReadOnlyList<TriggerModel> Triggers { get; init; } = [];

    /// <summary>Row-level security policies.</summary>
    public IReadOnlyList<PolicyModel> Policies { get; init; } = [];

    /// <summary>
    /// Which table, view or function needs which other one to exist first, as <c>pg_depend</c> records it (a view's query,
    /// a column default calling a function, a function's parameter or result of a table's row type). Used to order the SQL
    /// that builds the schema; not compared by the diff.
    /// </summary>
    public IReadOnlyList<ObjectDependency> Dependencies { get; init; } = [];
}

/// <summary><see cref="Object"/> needs <see cref="On"/> to exist first.</summary>
/// <param name="Object">A key: <c>table schema.name</c>, <c>view schema.name</c> or <c>function schema.name(argument types)</c>.</param>
/// <param name="On">Likewise.</param>
public sealed record ObjectDependency(string Object, string On);

/// <summary>A schema.</summary>
public sealed record SchemaInfo(string Name, string? Comment = null);

/// <summary>An extension.</summary>
public sealed record ExtensionModel(string Name, string Version, string Schema = "public");

/// <summary>A table.</summary>
/// <param name="Kind"><c>table</c> or <c>partitioned</c>.</param>
/// <param name="PartitionKey">For a partitioned table: <c>RANGE (created_at)</c>.</param>
/// <param name="PartitionOf">For a partition: the parent table, <c>schema.name</c>.</param>
/// <param name="PartitionBound">For a partition: <c>FOR VALUES FROM (...) TO (...)</c>.</param>
/// <param name="ReplicaIdentity">What logical replication records of a changed row: <c>default</c> (the primary key), <c>full</c>, <c>nothing</c> or <c>index</c>.</param>
/// <param name="ReplicaIdentityIndex">With <see cref="ReplicaIdentity"/> <c>index</c>: the index's name.</param>
public sealed record TableModel(string Schema, string Name, string Kind, bool Unlogged, bool RowSecurity, string? Comment,
    IReadOnlyList<ColumnModel> Columns, IReadOnlyList<ConstraintModel> Constraints,
    bool ForceRowSecurity = false, string? PartitionKey = null, string? PartitionOf = null, string? PartitionBound = null,
    string ReplicaIdentity = "default", string? ReplicaIdentityIndex = null)
{
    /// <summary>The replica identity as <c>ALTER TABLE ... REPLICA IDENTITY</c> writes it: <c>DEFAULT</c>, <c>FULL</c>, <c>NOTHING</c> or <c>USING INDEX "name"</c>.</summary>
    public string ReplicaIdentityClause => ReplicaIdentity == "index" && ReplicaIdentityIndex is { } index
        ? $"USING INDEX {Sql.Quote.Ident(index)}"
        : ReplicaIdentity.ToUpperInvariant();

    /// <summary><c>schema.name</c>.</summary>
    public string QualifiedName => $"{Schema}.{Name}";
}

/// <summary>A column: type with modifiers, nullability, default, identity, generated expression, collation, comment.</summary>
/// <param name="Identity"><c>always</c> or <c>by default</c>.</param>
public sealed record ColumnModel(string Name, string Type, bool NotNull, string? Default, string? Identity, string? Generated, string? Collation, string? Comment);

/// <summary>A constraint with its definition as PostgreSQL prints it and whether it is validated.</summary>
/// <param name="Type"><c>primary key</c>, <c>foreign key</c>, <c>unique</c>, <c>check</c> or <c>exclusion</c>.</param>
/// <param name="Definition">As <c>pg_get_constraintdef</c> prints it, without <c>NOT VALID</c>.</param>
/// <param name="Inherited">Made by a constraint of the parent table (a partition's copy of its parent's constraint).</param>
/// <param name="Columns">The constrained columns in order (for keys and foreign keys).</param>
public sealed record ConstraintModel(string Name, string Type, string Definition, bool Validated, bool Deferrable, bool InitiallyDeferred, string? Comment = null, bool Inherited = false,
    IReadOnlyList<string>? Columns = null);

/// <summary>An index with its definition as PostgreSQL prints it and whether it is valid.</summary>
/// <param name="Constraint">The primary key, unique or exclusion constraint the index belongs to, if any.</param>
/// <param name="Inherited">A partition's part of an index on its partitioned parent.</param>
public sealed record IndexModel(string Schema, string Table, string Name, string Definition, bool Unique, bool Valid, string? Constraint = null, string? Comment = null, bool Inherited = false);

/// <summary>A view or materialized view with its normalized definition.</summary>
public sealed record ViewModel(string Schema, string Name, bool Materialized, string Definition, string? Comment = null);

/// <summary>A sequence.</summary>
/// <param name="OwnedBy">The owning column, <c>table.column</c>.</param>
public sealed record SequenceModel(string Schema, string Name, string Type, long Increment, long Min, long Max, bool Cycle, string? OwnedBy,
    long Start = 1, long Cache = 1, string? Comment = null);

/// <summary>An enum type.</summary>
public sealed record EnumModel(string Schema, string Name, IReadOnlyList<string> Labels, string? Comment = null);

/// <summary>A domain: base type, nullability, default, collation and its named constraints.</summary>
public sealed record DomainModel(string Schema, string Name, string Type, bool NotNull, string? Default, string? Collation,
    IReadOnlyList<ConstraintModel> Constraints, string? Comment = null);

/// <summary>A composite type and its attributes in order.</summary>
public sealed record CompositeTypeModel(string Schema, string Name, IReadOnlyList<AttributeModel> Attributes, string? Comment = null);

/// <summary>An attribute of a composite type.</summary>
public sealed record AttributeModel(string Name, string Type, string? Collation);

/// <summary>A function or procedure: signature, kind, attributes and a hash of its body.</summary>
/// <param name="Signature"><c>name(argument types)</c>.</param>
/// <param name="Kind"><c>function</c>, <c>procedure</c>, <c>aggregate</c> or <c>window</c>.</param>
/// <param name="Volatility"><c>volatile</c>, <c>stable</c> or <c>immutable</c>.</param>
/// <param name="Definition">The whole <c>CREATE OR REPLACE</c> statement (functions and procedures), used to write SQL; not compared.</param>
public sealed record FunctionModel(string Schema, string Signature, string Kind, string Returns, string Language, string BodyHash,
    string Volatility = "volatile", bool SecurityDefiner = false, string? Definition = null, string? Comment = null);

/// <summary>A trigger with its definition as PostgreSQL prints it.</summary>
public sealed record TriggerModel(string Schema, string Table, string Name, string Definition, bool Enabled, string? Comment = null);

/// <summary>A row-level security policy.</summary>
/// <param name="Command"><c>ALL</c>, <c>SELECT</c>, <c>INSERT</c>, <c>UPDATE</c> or <c>DELETE</c>.</param>
/// <param name="Roles">Role names, <c>public</c> for everyone.</param>
/// <param name="Using">The <c>USING</c> expression.</param>
/// <param name="WithCheck">The <c>WITH CHECK</c> expression.</param>
public sealed record PolicyModel(string Schema, string Table, string Name, string Command, bool Permissive, IReadOnlyList<string> Roles, string? Using, string? WithCheck);

/// <summary>Reads a <see cref="SchemaModel"/> from JSON (the catalog query's, or a saved <c>inspect --format json</c>, names in any case),
/// generated at compile time: no reflection, so trimming and Native AOT keep it whole.</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(SchemaModel))]
internal sealed partial class SchemaModelJson : JsonSerializerContext;
