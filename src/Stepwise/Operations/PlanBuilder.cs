using System.Text;
using Stepwise.Catalog;
using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary>An operation that cannot be planned against this schema: what is wrong, where in the file.</summary>
public sealed class PlanningException(string message, FilePosition position, string? hint = null) : Exception(message)
{
    /// <summary>Where the operation is written.</summary>
    public FilePosition Position { get; } = position;

    /// <summary>What to do about it.</summary>
    public string? Hint { get; } = hint;
}

/// <summary>
/// Collects the steps of an operation migration: start steps in order, complete steps in order, and for each
/// start step its undoing (rollback runs them in reverse). Knows the schema the plan starts from.
/// </summary>
public sealed class PlanBuilder(SchemaModel schema)
{
    private string _migration = "migration";
    private string? _versionSchema;
    private readonly List<Step> _start = [];
    private readonly List<Step> _complete = [];
    private readonly List<Step> _rollback = [];
    private readonly List<Step> _kept = [];

    /// <summary>The schema as the operations planned so far leave it (later operations see earlier ones' tables and columns).</summary>
    public SchemaModel Schema { get; private set; } = schema;

    /// <summary>Records that the operation being planned adds <paramref name="column"/> to <paramref name="table"/>.</summary>
    public void Added(TableModel table, ColumnModel column)
    {
        Schema = Schema with { Tables = [.. Schema.Tables.Select(t => t == table ? t with { Columns = [.. t.Columns, column] } : t)] };
        Version.Added(table, column.Name);
    }

    /// <summary>How the new version sees the tables, when the migration changes something old and new code cannot share.</summary>
    internal VersionView Version { get; } = new();

    /// <summary>The version schema this migration gets for the tables of <paramref name="baseSchema"/> (see <see cref="VersionSchemas.Name(string, string?, string)"/>).</summary>
    internal string VersionSchemaOf(string baseSchema) => VersionSchemas.Name(_migration, _versionSchema, baseSchema);

    /// <summary>Records that the operation being planned creates <paramref name="table"/>.</summary>
    public void Added(TableModel table) => Schema = Schema with { Tables = [.. Schema.Tables, table] };

    /// <summary>The index of the operation being planned (set by <see cref="PlanAll"/>).</summary>
    internal int Operation { get; private set; }

    /// <summary>Plans every operation of a file, in order.</summary>
    /// <param name="file">The operations.</param>
    /// <param name="schema">The schema they start from.</param>
    /// <param name="migration">The migration's name (its file name without extension), which names its version schema unless the file's <c>version_schema</c> does.</param>
    /// <param name="versionSchemas">The version schemas that exist: complete drops them (their versions are gone by then).</param>
    /// <exception cref="PlanningException">An operation does not fit the schema.</exception>
    public static Plan PlanAll(OperationFile file, SchemaModel schema, string migration = "migration", IReadOnlyList<string>? versionSchemas = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        var builder = new PlanBuilder(schema) { _migration = migration, _versionSchema = file.VersionSchema };
        for (var i = 0; i < file.Operations.Count; i++)
        {
            builder.Operation = i;
            var operation = file.Operations[i];
            try
            {
                operation.Plan(builder);
            }
            catch (Exception ex) when (ex is StepSqlException or ArgumentException)
            {
                // Text from the file made an identifier or a statement impossible (an empty name part, a type with a semicolon).
                throw new PlanningException($"{operation.Kind}: {ex.Message}", operation.Position, "check the names and SQL fragments of this operation");
            }
        }
        builder.PlanVersionSchema(file, migration, versionSchemas ?? []);
        return new Plan(builder._start, builder._complete, [.. Enumerable.Reverse(builder._rollback)]) { Kept = builder._kept };
    }

    /// <summary>
    /// The new version's schema of views when an operation needs one (or the file names one), after the operations'
    /// own steps; and at the start of complete, the previous versions' schemas dropped (their views would hold on to
    /// the columns complete drops).
    /// </summary>
    private void PlanVersionSchema(OperationFile file, string migration, IReadOnlyList<string> existing)
    {
        Operation = file.Operations.Count - 1;
        string? created = null;
        if (Version.Needed || file.VersionSchema is not null)
        {
            var schemas = Version.Schemas.ToList();
            var position = file.Operations[^1].Position;
            if (schemas.Count > 1)
            {
                throw new PlanningException($"the operations change what the new version sees in several schemas ({string.Join(", ", schemas)}); a version schema shows the tables of one",
                    position, "split the migration: one per schema");
            }
            var baseSchema = schemas.FirstOrDefault() ?? "public";
            created = VersionSchemaOf(baseSchema);
            if (existing.Contains(created, StringComparer.Ordinal) || Schema.Schemas.Any(s => s.Name == created))
            {
                throw new PlanningException($"schema {created} already exists, so it cannot be this migration's version schema", position,
                    "drop it, or name another one with version_schema: at the top of the file");
            }
            Version.Plan(this, baseSchema, created, migration);
        }
        var drops = existing.Where(s => s != created)
            .Select(s => Steps.Sql($"drop version schema {s} (its version is gone)", $"DROP SCHEMA IF EXISTS {Quote.Ident(s)} CASCADE") with { Operation = Operation }).ToList();
        _complete.InsertRange(0, drops);
    }

    /// <summary>Adds a start step; <paramref name="undo"/>, when given, runs on rollback.</summary>
    public void Start(Step step, Step? undo = null)
    {
        _start.Add(step with { Operation = Operation });
        if (undo is not null)
        {
            _rollback.Add(undo with { Operation = Operation });
        }
    }

    /// <summary>Adds a rollback step without a start step of its own (it undoes several).</summary>
    public void Undo(Step undo) => _rollback.Add(undo with { Operation = Operation });

    /// <summary>Adds a clean-up step deferred past complete, to a later operation migration's complete.</summary>
    public void Keep(Step step) => _kept.Add(step with { Operation = Operation });

    /// <summary>Adds a complete step.</summary>
    public void Complete(Step step) => _complete.Add(step with { Operation = Operation });

    /// <summary>The table <paramref name="name"/> (<c>schema.table</c> or <c>table</c> in <c>public</c>).</summary>
    public TableModel RequireTable(string name, FilePosition position)
    {
        var (schemaName, table) = Split(name);
        if (Version.RenamedTo(schemaName, table) is { } renamed)
        {
            (schemaName, table) = renamed;
        }
        return Schema.Tables.FirstOrDefault(t => t.Schema == schemaName && t.Name == table)
            ?? throw new PlanningException($"table {schemaName}.{table} does not exist", position,
                "create it in an earlier migration (or with create_table before this operation), or check the name");
    }

    /// <summary>The column <paramref name="column"/> of <paramref name="table"/>.</summary>
    public static ColumnModel RequireColumn(TableModel table, string column, FilePosition position) =>
        table.Columns.FirstOrDefault(c => c.Name == column)
        ?? throw new PlanningException($"column {table.QualifiedName}.{column} does not exist", position, "check the name");

    /// <summary>The primary key columns with their types, or empty when the table has none (the backfill then walks pages).</summary>
    public static IReadOnlyList<KeyColumn> KeyOf(TableModel table)
    {
        var pk = table.Constraints.FirstOrDefault(k => k.Type == "primary key");
        return pk?.Columns is { } columns
            ? [.. columns.Select(c => new KeyColumn(c, table.Columns.First(x => x.Name == c).Type))]
            : [];
    }

    /// <summary><c>"schema"."name"</c> for a name as written in a file.</summary>
    public static string Qualified(string name)
    {
        var (schemaName, table) = Split(name);
        return Quote.Ident(schemaName, table);
    }

    /// <summary>A name as written in a file, split into schema (default <c>public</c>) and name.</summary>
    public static (string Schema, string Name) Split(string name)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? ("public", name) : (name[..dot], name[(dot + 1)..]);
    }

    /// <summary>A helper object's name: <c>_stepwise_</c> + the parts, cut to PostgreSQL's 63 bytes with a hash when too long.</summary>
    public static string HelperName(string kind, params string[] parts) => Fit($"_stepwise_{kind}_{string.Join('_', parts)}");

    /// <summary><paramref name="name"/>, or when longer than PostgreSQL's 63 bytes, its start and a hash of it.</summary>
    internal static string Fit(string name)
    {
        if (Encoding.UTF8.GetByteCount(name) <= 63)
        {
            return name;
        }
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..8];
        var cut = name;
        while (Encoding.UTF8.GetByteCount(cut) > 54)
        {
            cut = cut[..^1];
        }
        return $"{cut}_{hash}";
    }
}
