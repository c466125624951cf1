using Npgsql;
using Stepwise.Connections;
using Stepwise.Migrations;
using Stepwise.Sql;

namespace Stepwise.Instances;

/// <summary>How an application's connections select its schema version.</summary>
public enum BindingMode
{
    /// <summary>The connection's <c>Search Path</c> names the version schema (direct connections; PgBouncer refuses it in transaction mode).</summary>
    SearchPath,

    /// <summary>
    /// The connection logs in as the version's role (<see cref="InstanceOptions.VersionRole"/>), whose own
    /// <c>search_path</c> Stepwise set: survives connection poolers in transaction mode.
    /// </summary>
    Role,

    /// <summary>Connections are left as configured.</summary>
    None,
}

/// <summary>
/// The schema version an application is built for, and how its connections select it: the newest migration it ships,
/// that migration's version schema when one exists in the database, and (for poolers) the version's role. An
/// application built before any version schema existed gets no version schema and keeps its connections unchanged.
/// </summary>
/// <param name="Version">The newest migration the application ships (0 when it ships none).</param>
/// <param name="Migration">That migration's name (<c>0002_add_users</c>; empty when none).</param>
/// <param name="Schema">The tables' schema (<c>public</c>).</param>
/// <param name="VersionSchema">The version schema the connections use; null when that migration has none in the database.</param>
/// <param name="Role">With <see cref="BindingMode.Role"/>: the role to log in as; null otherwise.</param>
public sealed record VersionBinding(long Version, string Migration, string Schema, string? VersionSchema, string? Role)
{
    /// <summary>The <c>search_path</c> of a bound connection (version schema, then the tables' schema); null when there is no version schema.</summary>
    public string? SearchPath => VersionSchema is null ? null : SearchPathFor(VersionSchema, Schema);

    /// <summary>
    /// The version schema first, then the tables' schema: the views are found first, and what a version schema does
    /// not hold (functions, types, sequences) still resolves.
    /// </summary>
    public static string SearchPathFor(string versionSchema, string schema) => $"{Quote.Ident(versionSchema)}, {Quote.Ident(schema)}";

    /// <summary>
    /// Finds the binding of the application whose migrations are <paramref name="source"/>, in one read-only round trip
    /// to <paramref name="database"/>: whether the newest migration's version schema (and, for <see cref="BindingMode.Role"/>,
    /// its role) exists.
    /// </summary>
    /// <exception cref="InvalidOperationException">Role mode, the version schema exists, but its role does not (or no role pattern is set); the message says what to do.</exception>
    public static async Task<VersionBinding> ResolveAsync(string database, MigrationSource source, InstanceOptions? options = null, BindingMode mode = BindingMode.SearchPath,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= new InstanceOptions();
        var versioned = MigrationDirectory.Load(source, new MigrationDirectoryOptions { Parse = false }).Versioned;
        var newest = versioned.Count == 0 ? null : versioned[^1];
        if (newest is null || mode == BindingMode.None)
        {
            return new VersionBinding(newest?.Version ?? 0, newest?.DisplayName ?? "", options.Schema, null, null);
        }
        var schema = VersionSchemaName.For(options.Schema, source, newest);
        var role = options.RoleFor(newest.Version, newest.Name);
        await using var connection = DataSources.Connection(DatabaseTarget.Parse(database).ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1), EXISTS (SELECT FROM pg_roles WHERE rolname = $2)", connection);
        command.Parameters.AddWithValue(schema);
        command.Parameters.AddWithValue(role ?? "");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (schemaExists, roleExists) = (reader.GetBoolean(0), reader.GetBoolean(1));
        if (!schemaExists)
        {
            return new VersionBinding(newest.Version, newest.DisplayName, options.Schema, null, null);
        }
        if (mode == BindingMode.Role && (role is null || !roleExists))
        {
            throw new InvalidOperationException(role is null
                ? $"version schema {schema} exists, and the binding is by role, but no version role pattern is set: set the role pattern (e.g. app_{{version}}) here and for stepwise (instances.versionRole in stepwise.json)"
                : $"version schema {schema} exists, but its role {role} does not: start the migration with the role pattern configured (instances.versionRole in stepwise.json), or create the role and run ALTER ROLE {Quote.Ident(role)} SET search_path TO {SearchPathFor(schema, options.Schema)}");
        }
        return new VersionBinding(newest.Version, newest.DisplayName, options.Schema, schema, mode == BindingMode.Role ? role : null);
    }

    /// <summary>
    /// Makes <paramref name="builder"/>'s connections use this version: its <c>Search Path</c>, or (role binding) its
    /// user name; nothing when there is no version schema. The password is left as it is.
    /// </summary>
    public void ApplyTo(NpgsqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (Role is { } role)
        {
            builder.Username = role;
        }
        else if (SearchPath is { } path)
        {
            builder.SearchPath = path;
        }
    }

    /// <summary><paramref name="connectionString"/> with this version applied (see <see cref="ApplyTo(NpgsqlConnectionStringBuilder)"/>).</summary>
    public string ApplyTo(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(DatabaseTarget.Parse(connectionString).ConnectionString);
        ApplyTo(builder);
        return builder.ConnectionString;
    }

    /// <summary>How logs name it: <c>version 0002_add_users through schema public_0002_add_users</c>.</summary>
    public override string ToString() => VersionSchema is null
        ? $"version {(Migration.Length == 0 ? "(none)" : Migration)}, no version schema: connections unchanged"
        : Role is { } role ? $"version {Migration} through role {role} (search_path {SearchPath})" : $"version {Migration} through search_path {SearchPath}";
}
