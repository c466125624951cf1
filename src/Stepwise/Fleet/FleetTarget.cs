using Npgsql;
using Stepwise.Connections;
using Stepwise.Diagnostics;
using Stepwise.Execution;

namespace Stepwise.Fleet;

/// <summary>One database of a fleet: its name (in output, traces and the fleet state) and where to connect.</summary>
/// <param name="Name">A name unique in the fleet: as given, or <c>host:port/database</c>.</param>
/// <param name="Database">Where to connect (its <see cref="DatabaseTarget.ToString"/> hides the password).</param>
public sealed record FleetTarget(string Name, DatabaseTarget Database)
{
    /// <summary>A target named by its server and database when no name is given.</summary>
    public static FleetTarget Of(DatabaseTarget database, string? name = null) =>
        new(string.IsNullOrWhiteSpace(name) ? DefaultName(database) : name.Trim(), database);

    private static string DefaultName(DatabaseTarget database)
    {
        var builder = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        return $"{builder.Host ?? "localhost"}:{builder.Port}/{builder.Database ?? builder.Username ?? "?"}";
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// Where the targets of a fleet come from: a file of connection strings, a query on a catalog database, or every
/// database of a server whose name matches a pattern. Targets keep the order of their source: the first ones are the canary.
/// </summary>
public static class FleetTargets
{
    /// <summary>
    /// Reads a file with one target a line: a postgres:// URL or an Npgsql connection string, optionally after a name and
    /// whitespace (<c>tenant-a postgres://app@db1/tenant_a</c>); blank lines and lines starting with <c>#</c> are skipped.
    /// </summary>
    /// <exception cref="MigrationRefusedException">A line is not a connection, or a name repeats: every such line is listed (file:line:col); nothing was run.</exception>
    public static IReadOnlyList<FleetTarget> ReadFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new MigrationRefusedException($"the targets file {path} does not exist", [new MigrationProblem(Severity.Error, "no-targets-file", path, 0, 0,
                "no such file", "write one connection (a postgres:// URL or Host=...;Database=...) per line, optionally after a name")]);
        }
        var targets = new List<FleetTarget>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var problems = new List<MigrationProblem>();
        var lines = File.ReadAllLines(path);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#'))
            {
                continue;
            }
            var column = line.Length - line.TrimStart().Length + 1;
            var (name, connection, connectionColumn) = Split(text, column);
            try
            {
                Add(targets, seen, problems, FleetTarget.Of(DatabaseTarget.Parse(connection), name), path, i + 1, column);
            }
            catch (FormatException ex)
            {
                problems.Add(new MigrationProblem(Severity.Error, "bad-target", path, i + 1, connectionColumn, ex.Message,
                    "one target a line: [name] postgres://user@host:5432/db or [name] Host=...;Database=...; a line starting with # is a comment"));
            }
        }
        if (problems.Count > 0)
        {
            throw new MigrationRefusedException($"the targets file {path} has errors; nothing was run", problems);
        }
        if (targets.Count == 0)
        {
            throw new MigrationRefusedException($"the targets file {path} lists no database", [new MigrationProblem(Severity.Error, "no-targets", path, 0, 0,
                "every line is blank or a comment", "add one connection per line")]);
        }
        return targets;
    }

    /// <summary>
    /// Runs <paramref name="query"/> on the catalog database: one column (the connection) or two (a name, then the connection),
    /// one row per target, in the order returned.
    /// </summary>
    /// <exception cref="MigrationRefusedException">The query returns another shape, a row is not a connection, or a name repeats.</exception>
    public static async Task<IReadOnlyList<FleetTarget>> QueryAsync(string catalog, string query, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(Unpooled(catalog));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(query, connection);
        var targets = new List<FleetTarget>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var problems = new List<MigrationProblem>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (reader.FieldCount is < 1 or > 2)
            {
                throw new MigrationRefusedException($"the targets query returns {reader.FieldCount} columns", [new MigrationProblem(Severity.Error, "targets-query", "targets query", 0, 0,
                    "a targets query returns one column (the connection) or two (a name, then the connection)", "e.g. SELECT tenant, dsn FROM tenants ORDER BY tenant")]);
            }
            var row = 0;
            while (await reader.ReadAsync(cancellationToken))
            {
                row++;
                var name = reader.FieldCount == 2 && !reader.IsDBNull(0) ? Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture) : null;
                var value = reader.IsDBNull(reader.FieldCount - 1) ? "" : reader.GetValue(reader.FieldCount - 1).ToString() ?? "";
                try
                {
                    Add(targets, seen, problems, FleetTarget.Of(DatabaseTarget.Parse(value), name), "targets query", row, 0);
                }
                catch (FormatException ex)
                {
                    problems.Add(new MigrationProblem(Severity.Error, "bad-target", "targets query", row, 0, $"row {row}{(name is null ? "" : $" ({name})")}: {ex.Message}",
                        "the connection column holds a postgres:// URL or an Npgsql connection string"));
                }
            }
        }
        if (problems.Count > 0)
        {
            throw new MigrationRefusedException("the targets query returned bad rows; nothing was run", problems);
        }
        return targets.Count > 0 ? targets
            : throw new MigrationRefusedException("the targets query returned no row: no database to migrate");
    }

    /// <summary>
    /// Every database of the server <paramref name="server"/> connects to whose name matches <paramref name="pattern"/> (a SQL
    /// <c>LIKE</c> pattern: <c>tenant_%</c>), templates and databases that refuse connections left out, by name; each is
    /// reached with the server's connection settings and named by its database name.
    /// </summary>
    public static async Task<IReadOnlyList<FleetTarget>> ServerAsync(string server, string pattern, CancellationToken cancellationToken = default)
    {
        var serverTarget = DatabaseTarget.Parse(server);
        await using var connection = new NpgsqlConnection(Unpooled(serverTarget.ConnectionString));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT datname FROM pg_database WHERE datname LIKE $1 AND NOT datistemplate AND datallowconn ORDER BY datname COLLATE \"C\"", connection);
        command.Parameters.AddWithValue(pattern);
        var names = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                names.Add(reader.GetString(0));
            }
        }
        if (names.Count == 0)
        {
            throw new MigrationRefusedException($"no database on the server matches '{pattern}' (a LIKE pattern: % for any characters, _ for one)");
        }
        return [.. names.Select(name => new FleetTarget(name,
            DatabaseTarget.Parse(new NpgsqlConnectionStringBuilder(serverTarget.ConnectionString) { Database = name }.ConnectionString)))];
    }

    /// <summary>A line's optional name (a first word that is neither a URL nor a keyword=value) and its connection.</summary>
    private static (string? Name, string Connection, int Column) Split(string text, int column)
    {
        var space = text.IndexOfAny([' ', '\t']);
        if (space < 0)
        {
            return (null, text, column);
        }
        var first = text[..space];
        if (first.Contains('=') || first.Contains("://", StringComparison.Ordinal))
        {
            return (null, text, column);
        }
        var rest = text[space..];
        return (first, rest.Trim(), column + space + (rest.Length - rest.TrimStart().Length));
    }

    /// <summary>Adds a target, or a problem when its name is taken (a name says which database the fleet state describes).</summary>
    private static void Add(List<FleetTarget> targets, Dictionary<string, int> seen, List<MigrationProblem> problems, FleetTarget target, string file, int line, int column)
    {
        if (seen.TryGetValue(target.Name, out var first))
        {
            problems.Add(new MigrationProblem(Severity.Error, "duplicate-target", file, line, column,
                $"{target.Name} is also the name of the target at {(file == "targets query" ? "row" : "line")} {first}: the fleet state tells targets apart by name",
                "give each target its own name (the first word of the line, or the query's first column)"));
            return;
        }
        seen[target.Name] = line;
        targets.Add(target);
    }

    private static string Unpooled(string connection) =>
        new NpgsqlConnectionStringBuilder(DatabaseTarget.Parse(connection).ConnectionString) { Pooling = false, ApplicationName = "stepwise fleet" }.ConnectionString;
}
