using System.Text;

namespace Stepwise.Migrations;

/// <summary>
/// The name of the schema that exposes a migration's version of the tables (pgroll's naming): the tables' schema,
/// an underscore, and the migration's name (<c>public_0002_add_users</c> for <c>0002_add_users.yaml</c>), unless the
/// file names one itself (<c>version_schema</c>). The one place that names a version schema: starting a migration
/// creates it under this name, and applications bind to it by the same rule.
/// </summary>
public static class VersionSchemaName
{
    /// <summary>PostgreSQL's limit on identifier length, in bytes; longer names are cut by the server.</summary>
    public const int MaxBytes = 63;

    /// <summary>The version schema of <paramref name="migration"/> over the tables of <paramref name="schema"/>.</summary>
    /// <param name="schema">The schema holding the tables (<c>public</c> unless configured otherwise).</param>
    /// <param name="migration">The migration.</param>
    /// <param name="declared">The file's own <c>version_schema</c>, when it has one: used as is.</param>
    public static string For(string schema, Migration migration, string? declared = null)
    {
        ArgumentNullException.ThrowIfNull(migration);
        return declared is { Length: > 0 } ? declared : For(schema, migration.DisplayName);
    }

    /// <summary>
    /// <c>&lt;schema&gt;_&lt;migration name&gt;</c>, the migration named without its extension (<c>0002_add_users</c>), cut to 63 bytes
    /// with a hash when longer: the name the migration's start gives its version schema (<see cref="Operations.VersionSchemas.Name(string, string?, string)"/>).
    /// </summary>
    public static string For(string schema, string migrationName)
    {
        ArgumentException.ThrowIfNullOrEmpty(schema);
        ArgumentException.ThrowIfNullOrEmpty(migrationName);
        return Operations.VersionSchemas.Name(migrationName, null, schema);
    }

    /// <summary>True when PostgreSQL would cut <paramref name="name"/> (more than 63 bytes), so a schema of that exact name cannot exist.</summary>
    public static bool IsTooLong(string name) => Encoding.UTF8.GetByteCount(name) > MaxBytes;
}
