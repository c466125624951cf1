using Npgsql;
using Stepwise.Catalog;

namespace Stepwise.Operations;

/// <summary>A version schema that exists in a database: its name and the migration that made it.</summary>
public sealed record VersionSchemaInfo(string Name, string Migration);

/// <summary>
/// Version schemas: for a migration old and new code cannot share (renames, type changes, drops), its start creates a
/// schema holding one view per table as the new version sees it; an application picks its version by putting that
/// schema first in its search path (<c>Search Path=public_0004_rename,public</c>). The previous version's schema stays
/// until the migration completes, then goes.
/// </summary>
public static class VersionSchemas
{
    /// <summary>
    /// The version schema of a migration: the file's <c>version_schema</c> when it sets one, otherwise pgroll's
    /// <c>&lt;schema&gt;_&lt;migration name&gt;</c> (the migration name is its file name without the extension,
    /// <c>0004_rename_customers</c>), cut to PostgreSQL's 63 bytes with a hash when longer. Applications bind to it
    /// through <see cref="Migrations.VersionSchemaName"/>, which gives the same name.
    /// </summary>
    /// <param name="migrationName">The file name without extension.</param>
    /// <param name="versionSchema">The file's <c>version_schema</c> field, if set.</param>
    /// <param name="schema">The schema whose tables the version schema shows (<c>public</c>).</param>
    public static string Name(string migrationName, string? versionSchema = null, string schema = "public")
    {
        ArgumentException.ThrowIfNullOrEmpty(migrationName);
        if (!string.IsNullOrEmpty(versionSchema))
        {
            return versionSchema;
        }
        return PlanBuilder.Fit($"{schema}_{migrationName}");
    }

    /// <summary>The version schema of <paramref name="file"/> (migration <paramref name="displayName"/>, <c>0004_rename</c>) for the tables of <paramref name="schema"/>.</summary>
    public static string Name(OperationFile file, string displayName, string schema = "public")
    {
        ArgumentNullException.ThrowIfNull(file);
        return Name(displayName, file.VersionSchema, schema);
    }

    /// <summary>The comment that marks a version schema (and names its migration).</summary>
    internal static string Comment(string migration) => $"{CatalogReader.VersionSchemaComment} of {migration}";

    /// <summary>The version schemas of the database <paramref name="connection"/> is connected to, by name.</summary>
    public static async Task<IReadOnlyList<VersionSchemaInfo>> ListAsync(NpgsqlConnection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand("""
            SELECT n.nspname, d.description FROM pg_namespace n
            JOIN pg_description d ON d.objoid = n.oid AND d.classoid = 'pg_namespace'::regclass AND d.objsubid = 0
            WHERE d.description LIKE $1 || ' of %' ORDER BY n.nspname
            """, connection);
        command.Parameters.AddWithValue(CatalogReader.VersionSchemaComment);
        var found = new List<VersionSchemaInfo>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found.Add(new VersionSchemaInfo(reader.GetString(0), reader.GetString(1)[(CatalogReader.VersionSchemaComment.Length + " of ".Length)..]));
        }
        return found;
    }
}
