using Microsoft.Extensions.Logging;
using Npgsql;
using Stepwise.Instances;
using Stepwise.Migrations;
using Stepwise.Sql;

namespace Stepwise.Execution;

/// <summary>
/// Per-version roles, for applications behind a connection pooler in transaction mode (PgBouncer refuses a
/// <c>search_path</c> in the startup packet, and a <c>SET</c> would leak to whoever gets the server connection next):
/// the role's own <c>search_path</c>, set with <c>ALTER ROLE ... SET search_path</c>, is applied by the server to
/// every session that logs in as it, pooled or not. Runs once a migration's start phase has created its version
/// schema; the role is created if missing (<c>LOGIN</c>, no password: Stepwise never sets one) and may use the
/// version schema's views.
/// </summary>
internal static class VersionRoles
{
    /// <summary>Points the version role of <paramref name="migration"/> at its version schema; nothing when no role pattern is set or the schema does not exist.</summary>
    public static async Task SetAsync(NpgsqlConnection connection, Migration migration, InstanceOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        if (options.RoleFor(migration.Version, migration.Name) is not { } role)
        {
            return;
        }
        var schema = VersionSchemaName.For(options.Schema, migration, migration.Operations?.VersionSchema);
        await using (var exists = new NpgsqlCommand("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1), EXISTS (SELECT FROM pg_roles WHERE rolname = $2)", connection))
        {
            exists.Parameters.AddWithValue(schema);
            exists.Parameters.AddWithValue(role);
            await using var reader = await exists.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            if (!reader.GetBoolean(0))
            {
                return; // this migration has no version schema: the role of the previous version still fits
            }
            if (!reader.GetBoolean(1))
            {
                await reader.DisposeAsync();
                await RunAsync(connection, $"CREATE ROLE {Quote.Ident(role)} LOGIN", cancellationToken);
            }
        }
        if (options.VersionRoleMemberOf is { Length: > 0 } member)
        {
            await RunAsync(connection, $"GRANT {Quote.Ident(member)} TO {Quote.Ident(role)}", cancellationToken);
        }
        // The role exists to use this schema: its views are security_invoker, so what the role may do to the rows is
        // still decided by its privileges on the tables (the application role's, through VersionRoleMemberOf).
        await RunAsync(connection, $"GRANT USAGE ON SCHEMA {Quote.Ident(schema)} TO {Quote.Ident(role)}", cancellationToken);
        await RunAsync(connection, $"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {Quote.Ident(schema)} TO {Quote.Ident(role)}", cancellationToken);
        await RunAsync(connection, $"ALTER ROLE {Quote.Ident(role)} SET search_path TO {VersionBinding.SearchPathFor(schema, options.Schema)}", cancellationToken);
        logger.LogInformation(EventIds.VersionRoleSet, "{File}: role {Role} now uses version schema {Schema} (search_path {SearchPath}); connect as {Role} to use this version, also through a pooler",
            migration.FileName, role, schema, VersionBinding.SearchPathFor(schema, options.Schema), role);
    }

    /// <summary>
    /// Undoes <see cref="SetAsync"/> when <paramref name="migration"/> is rolled back: its version schema goes, so its role's
    /// <c>search_path</c> is reset (<c>ALTER ROLE ... RESET search_path</c>), and sessions that log in as it no longer name a
    /// schema that is gone. Only the setting Stepwise made is reset: a role whose <c>search_path</c> was changed by hand since
    /// is left alone. The role itself stays (sessions may still be logged in as it); the schema's grants go with the schema.
    /// </summary>
    public static async Task ResetAsync(NpgsqlConnection connection, Migration migration, InstanceOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        if (options.RoleFor(migration.Version, migration.Name) is not { } role)
        {
            return;
        }
        var schema = VersionSchemaName.For(options.Schema, migration, migration.Operations?.VersionSchema);
        // PostgreSQL stores the setting as SetAsync's ALTER ROLE wrote it, each name quoted the way quote_ident quotes it.
        await using (var ours = new NpgsqlCommand("""
            SELECT EXISTS (SELECT FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
                           WHERE r.rolname = $1 AND s.setdatabase = 0 AND 'search_path=' || quote_ident($2) || ', ' || quote_ident($3) = ANY (s.setconfig))
            """, connection))
        {
            ours.Parameters.AddWithValue(role);
            ours.Parameters.AddWithValue(schema);
            ours.Parameters.AddWithValue(options.Schema);
            if (await ours.ExecuteScalarAsync(cancellationToken) is not true)
            {
                return;
            }
        }
        await RunAsync(connection, $"ALTER ROLE {Quote.Ident(role)} RESET search_path", cancellationToken);
        logger.LogInformation(EventIds.VersionRoleSet, "{File}: rolled back, so role {Role} no longer uses version schema {Schema} (its search_path is reset to the server's default)",
            migration.FileName, role, schema);
    }

    private static async Task RunAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
