using System.Globalization;
using System.Numerics;
using Npgsql;

namespace Stepwise.Import;

/// <summary>
/// What another tool's history table says was applied, read without changing it: EF's
/// <c>"__EFMigrationsHistory"</c>, dbmate's <c>schema_migrations</c>, Flyway's <c>flyway_schema_history</c>
/// Atlas's <c>atlas_schema_revisions</c> (found on the search path; Atlas's also in its own schema), goose's
/// <c>goose_db_version</c>, golang-migrate's <c>schema_migrations(version, dirty)</c>, Prisma's <c>_prisma_migrations</c>,
/// sqlx's <c>_sqlx_migrations</c>, Diesel's <c>__diesel_schema_migrations</c>, Evolve's <c>changelog</c>, DbUp's
/// <c>schemaversions</c>, FluentMigrator's <c>"VersionInfo"</c>, sql-migrate's <c>gorp_migrations</c> and tern's
/// <c>schema_version</c> (<c>public.schema_version</c> first, tern's default).
/// </summary>
public sealed class ForeignHistory
{
    private readonly ImportSource _from;
    private readonly HashSet<string> _applied;
    private readonly List<string> _baselines;
    private readonly List<string> _starts;
    private readonly Dictionary<string, string?> _repeatables;
    private readonly Dictionary<string, string> _checksums;

    private ForeignHistory(ImportSource from, string table, HashSet<string> applied, List<string> baselines, List<string> starts, List<string> partial,
        Dictionary<string, string?> repeatables, Dictionary<string, string> checksums)
    {
        _from = from;
        Table = table;
        _applied = applied;
        _baselines = baselines;
        _starts = starts;
        _repeatables = repeatables;
        _checksums = checksums;
        Partial = partial;
    }

    /// <summary>
    /// The checksum the tool recorded for applied migration <paramref name="id"/> (<see cref="Names"/>), or null when it keeps
    /// none. Flyway's versioned rows carry one too; only an imported file whose header keeps one is compared with it (sqlx's).
    /// </summary>
    public string? AppliedChecksum(string id) => _checksums.TryGetValue(id, out var c) ? c : _checksums.FirstOrDefault(x => Names(x.Key, id)).Value;

    /// <summary>
    /// True when the tool's latest successful run of the repeatable script <paramref name="fileName"/> had
    /// <paramref name="checksum"/> (Flyway): the database holds that script as it is now.
    /// </summary>
    public bool IsRepeatableCurrent(string fileName, string checksum) => _repeatables.TryGetValue(fileName, out var c) && c == checksum;

    /// <summary>Ids the tool started but did not finish (Atlas revisions with statements left).</summary>
    public IReadOnlyList<string> Partial { get; }

    /// <summary>The table read, as found.</summary>
    public string Table { get; }

    /// <summary>The versions the table says everything up to is applied (Flyway's and Atlas's baseline rows, golang-migrate's and tern's one row).</summary>
    public IReadOnlyList<string> Baselines => _baselines;

    /// <summary>The ids the table lists as applied (baseline rows not included).</summary>
    public IReadOnlyCollection<string> Applied => _applied;

    /// <summary>
    /// True when the tool considers <paramref name="id"/> applied: listed (see <see cref="Names"/>), or (Flyway and Atlas) at
    /// or below a baseline version, comparing versions part by part as numbers, or (Evolve) below its <c>StartVersion</c>.
    /// </summary>
    public bool IsApplied(string id) => _applied.Any(a => Names(a, id)) || _baselines.Any(b => Compare(id, b) <= 0) || _starts.Any(s => CompareEvolve(id, s) < 0);

    /// <summary>
    /// True when the id <paramref name="listed"/> in the table names the imported migration whose id is <paramref name="id"/>:
    /// the same version (<see cref="SameVersion"/>; Evolve: part by part, trailing zero parts counting, as Evolve compares);
    /// DbUp: the same script name, or the name of an embedded script, which is its resource name
    /// (<c>MyApp.Scripts.0001 - users.sql</c>), ending in <c>.</c> and the name.
    /// </summary>
    public bool Names(string listed, string id) => _from switch
    {
        ImportSource.DbUp => listed == id || listed.EndsWith("." + id, StringComparison.Ordinal),
        ImportSource.Evolve => CompareEvolve(listed, id) == 0,
        _ => SameVersion(listed, id),
    };

    /// <summary>
    /// True when the table shows the database at <paramref name="version"/> or past it (an applied or baseline row at or
    /// above it): a Flyway baseline migration of that version stands for what the database holds.
    /// </summary>
    public bool Reached(string version) => _applied.Concat(_baselines).Any(a => Compare(a, version) >= 0);

    /// <summary>True when <paramref name="id"/> is <paramref name="version"/> or older, comparing part by part as numbers.</summary>
    public static bool AtOrBelow(string id, string version) => Compare(id, version) <= 0;

    /// <summary>
    /// True when two ids name the same version: equal as text, or, for versions of numbers, part by part
    /// (<c>1_1</c> = <c>1.1</c>, as Flyway reads them).
    /// </summary>
    public static bool SameVersion(string a, string b) => a == b || Compare(a, b) == 0;

    /// <summary>The tables each tool keeps, in the order they are looked for.</summary>
    public static IReadOnlyList<string> Tables(ImportSource from) => from switch
    {
        ImportSource.Ef => ["\"__EFMigrationsHistory\""],
        ImportSource.Dbmate => ["schema_migrations"],
        ImportSource.Flyway => ["flyway_schema_history"],
        ImportSource.Atlas => ["atlas_schema_revisions.atlas_schema_revisions", "atlas_schema_revisions"],
        ImportSource.Goose => ["goose_db_version"],
        ImportSource.GolangMigrate => ["schema_migrations"],
        ImportSource.Prisma => ["_prisma_migrations"],
        ImportSource.Sqlx => ["_sqlx_migrations"],
        ImportSource.Diesel => ["__diesel_schema_migrations"],
        ImportSource.Evolve => ["changelog"],
        ImportSource.DbUp => ["schemaversions"],
        ImportSource.FluentMigrator => ["\"VersionInfo\""],
        ImportSource.SqlMigrate => ["gorp_migrations"],
        ImportSource.Tern => ["public.schema_version", "schema_version"],
        _ => throw new ArgumentOutOfRangeException(nameof(from)),
    };

    /// <summary>
    /// The tools that keep a history table named <paramref name="table"/> (unqualified, as PostgreSQL spells it), as
    /// <c>stepwise import</c> names them: <c>schema_migrations</c> is dbmate's and golang-migrate's. Empty for any other name.
    /// </summary>
    public static IReadOnlyList<string> ToolsKeeping(string table) =>
        [.. Enum.GetValues<ImportSource>().Where(from => Tables(from).Any(t => t.Split('.')[^1].Trim('"') == table)).Select(Importer.Name)];

    /// <summary>Reads the tool's table; null when the database has none.</summary>
    public static Task<ForeignHistory?> ReadAsync(NpgsqlConnection connection, ImportSource from, CancellationToken cancellationToken = default) =>
        ReadAsync(connection, from, null, cancellationToken);

    /// <summary>
    /// Reads the tool's table, or <paramref name="renamed"/> (<c>[schema.]name</c> as PostgreSQL reads it) where the project
    /// renamed it (every tool allows that: nakama's sql-migrate table is <c>migration_info</c>); null when there is none.
    /// </summary>
    public static async Task<ForeignHistory?> ReadAsync(NpgsqlConnection connection, ImportSource from, string? renamed, CancellationToken cancellationToken = default)
    {
        foreach (var name in renamed is null ? Tables(from) : [renamed])
        {
            // The queries below are written with the name as PostgreSQL quotes it (a renamed table is the user's text); messages
            // keep the name as given.
            string table;
            await using (var exists = new NpgsqlCommand("SELECT to_regclass($1)::text", connection))
            {
                exists.Parameters.AddWithValue(name);
                object? found;
                try
                {
                    found = await exists.ExecuteScalarAsync(cancellationToken);
                }
                catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.SyntaxError or PostgresErrorCodes.InvalidName)
                {
                    throw new ForeignHistoryMismatchException($"--table {name} is not a table name PostgreSQL can read ({ex.MessageText})",
                        "give it as name or schema.name, in double quotes where a part needs them (\"Version Info\")");
                }
                if (found is not string regclass)
                {
                    continue;
                }
                table = regclass;
            }
            await CheckColumnsAsync(connection, from, table, cancellationToken);
            var applied = new HashSet<string>(StringComparer.Ordinal);
            var baselines = new List<string>();
            var starts = new List<string>();
            var partial = new List<string>();
            var repeatables = new Dictionary<string, string?>(StringComparer.Ordinal);
            var checksums = new Dictionary<string, string>(StringComparer.Ordinal);
            await using var command = new NpgsqlCommand(Query(from, table), connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetString(0);
                switch (reader.GetString(1))
                {
                    case "applied":
                        applied.Add(id);
                        if (!reader.IsDBNull(2))
                        {
                            checksums[id] = reader.GetString(2);
                        }
                        break;
                    case "baseline":
                        baselines.Add(id);
                        break;
                    case "start":
                        starts.Add(id);
                        break;
                    case "repeatable":
                        repeatables[Path.GetFileName(id)] = reader.IsDBNull(2) ? null : reader.GetString(2);
                        break;
                    case "partial":
                        partial.Add(id);
                        break;
                    case "removed":
                        applied.Remove(id);
                        checksums.Remove(id);
                        repeatables.Remove(Path.GetFileName(id));
                        baselines.Remove(id);
                        break;
                }
            }
            return new ForeignHistory(from, name, applied, baselines, starts, partial, repeatables, checksums);
        }
        return null;
    }

    /// <summary>The columns <see cref="Query"/> reads from each tool's table.</summary>
    private static string[] Columns(ImportSource from) => from switch
    {
        ImportSource.Ef => ["MigrationId"],
        ImportSource.Dbmate => ["version"],
        ImportSource.Flyway => ["version", "script", "type", "checksum", "success", "installed_rank"],
        ImportSource.Atlas => ["version", "type", "applied", "total"],
        ImportSource.Goose => ["id", "version_id", "is_applied"],
        ImportSource.GolangMigrate => ["version", "dirty"],
        ImportSource.Prisma => ["migration_name", "finished_at", "rolled_back_at"],
        ImportSource.Sqlx => ["version", "success", "checksum"],
        ImportSource.Diesel => ["version", "run_on"],
        ImportSource.Evolve => ["id", "type", "version", "name", "checksum", "installed_on", "success"],
        ImportSource.DbUp => ["schemaversionsid", "scriptname", "applied"],
        ImportSource.FluentMigrator => ["Version", "AppliedOn"],
        ImportSource.SqlMigrate => ["id", "applied_at"],
        ImportSource.Tern => ["version"],
        _ => throw new ArgumentOutOfRangeException(nameof(from)),
    };

    /// <summary>
    /// A table of the tool's name that another tool wrote (dbmate and golang-migrate both use schema_migrations) is
    /// refused by name, not with the server's "column does not exist".
    /// </summary>
    private static async Task CheckColumnsAsync(NpgsqlConnection connection, ImportSource from, string table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT array_agg(attname::text) FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped", connection);
        command.Parameters.AddWithValue(table);
        var present = await command.ExecuteScalarAsync(cancellationToken) as string[] ?? [];
        var missing = Columns(from).Except(present, StringComparer.Ordinal).ToList();
        if (from == ImportSource.Tern && missing.Count == 0 && present.Length > 1)
        {
            // schema_version is a common name (Flyway before 5 wrote one too); tern's has the one column.
            throw new ForeignHistoryMismatchException(
                $"{table} is not the history table tern writes: tern's has the one column version (this one: {string.Join(", ", present)})",
                "check which tool wrote it and pass that tool to --from");
        }
        if (missing.Count > 0)
        {
            throw new ForeignHistoryMismatchException(
                $"{table} is not the history table {Importer.Name(from)} writes: it has no column {string.Join(", ", missing)} (columns: {string.Join(", ", present)})",
                from == ImportSource.GolangMigrate ? "dbmate writes a table of the same name: try baseline --from dbmate"
                    : from == ImportSource.Dbmate ? "golang-migrate writes a table of the same name: try baseline --from golang-migrate"
                    : "check which tool wrote it and pass that tool to --from");
        }
    }

    /// <summary>
    /// Rows as (id, applied | baseline | start | removed | repeatable | partial, checksum), in the order the tool
    /// wrote them. Flyway: a successful undo or a repair's delete marker removes a version; a repeatable
    /// script's row (no version) gives its checksum, the latest one winning; Atlas: a revision counts once all its statements
    /// ran (or it was resolved by hand), and its cloud identifier row is not a version.
    /// </summary>
    private static string Query(ImportSource from, string table) => from switch
    {
        ImportSource.Ef => $"SELECT \"MigrationId\", 'applied', NULL::text FROM {table} ORDER BY \"MigrationId\"",
        ImportSource.Dbmate => $"SELECT version::text, 'applied', NULL::text FROM {table} ORDER BY version",
        ImportSource.Flyway => $"""
            SELECT coalesce(version, script),
                   CASE WHEN version IS NULL THEN CASE WHEN type = 'DELETE' THEN 'removed' ELSE 'repeatable' END
                        WHEN type = 'BASELINE' THEN 'baseline'
                        WHEN type LIKE 'UNDO%' OR type = 'DELETE' THEN 'removed'
                        ELSE 'applied' END,
                   checksum::text
            FROM {table} WHERE success ORDER BY installed_rank
            """,
        ImportSource.Atlas => $"""
            SELECT version, CASE WHEN type & 1 = 1 THEN 'baseline'
                                 WHEN applied >= total OR type & 4 = 4 THEN 'applied'
                                 ELSE 'partial' END, NULL::text
            FROM {table} WHERE version NOT LIKE '.%' ORDER BY version
            """,
        // goose: a version's latest row decides (older goose wrote is_applied = false on down; newer deletes the row); row 0 is goose's own.
        ImportSource.Goose => $"""
            SELECT DISTINCT ON (version_id) version_id::text, CASE WHEN is_applied THEN 'applied' ELSE 'removed' END, NULL::text
            FROM {table} WHERE version_id > 0 ORDER BY version_id, id DESC
            """,
        // golang-migrate keeps one row: the current version (everything up to it applied) and whether its last run failed part-way.
        ImportSource.GolangMigrate => $"SELECT version::text, CASE WHEN dirty THEN 'partial' ELSE 'baseline' END, NULL::text FROM {table}",
        // Prisma: applied when a run finished and was not rolled back; a run neither finished nor rolled back failed part-way.
        ImportSource.Prisma => $"""
            SELECT migration_name, CASE WHEN bool_or(finished_at IS NOT NULL AND rolled_back_at IS NULL) THEN 'applied'
                                        WHEN bool_or(finished_at IS NULL AND rolled_back_at IS NULL) THEN 'partial'
                                        ELSE 'removed' END, NULL::text
            FROM {table} GROUP BY migration_name ORDER BY migration_name
            """,
        // sqlx: a row per version run; success false is a run that failed part-way (without a transaction, or sqlx's own
        // -- no-transaction files), which sqlx refuses to go past. The checksum is of the up file as it ran.
        ImportSource.Sqlx => $"SELECT version::text, CASE WHEN success THEN 'applied' ELSE 'partial' END, encode(checksum, 'hex') FROM {table} ORDER BY version",
        // Diesel: a row per version run (reverting deletes it), the version as the folder name gives it (dashes removed).
        ImportSource.Diesel => $"SELECT version::text, 'applied', NULL::text FROM {table} ORDER BY version",
        // Evolve's types: 0 migration, 1 new schema, 2 empty schema, 3 StartVersion (versions below it are skipped), 4 repeatable.
        // A version counts once a run of it succeeded; one that only failed (its CommitEach run saves success = false) is
        // partial. A repeatable script's latest successful run gives its checksum.
        ImportSource.Evolve => $"""
            SELECT key, kind, checksum FROM (
                SELECT version AS key, CASE WHEN bool_or(success) THEN 'applied' ELSE 'partial' END AS kind, NULL::text AS checksum,
                       max(installed_on) AS at, max(id) AS n
                FROM {table} WHERE type = 0 GROUP BY version
                UNION ALL SELECT version, 'start', NULL, installed_on, id FROM {table} WHERE type = 3
                UNION ALL SELECT name, 'repeatable', checksum, installed_on, id FROM {table} WHERE type = 4 AND success
            ) AS evolve ORDER BY at, n
            """,
        // DbUp journals each script it ran, by name, once.
        ImportSource.DbUp => $"SELECT scriptname, 'applied', NULL::text FROM {table} ORDER BY schemaversionsid",
        // FluentMigrator keeps a row per applied migration (its down deletes it).
        ImportSource.FluentMigrator => $"SELECT \"Version\"::text, 'applied', NULL::text FROM {table} ORDER BY \"Version\"",
        // sql-migrate: a row per applied file, its id the file name; a down deletes the row.
        ImportSource.SqlMigrate => $"SELECT id, 'applied', NULL::text FROM {table} ORDER BY id",
        // tern keeps one row: the number of the last migration applied, every one up to it applied too.
        ImportSource.Tern => $"SELECT version::text, 'baseline', NULL::text FROM {table}",
        _ => throw new ArgumentOutOfRangeException(nameof(from)),
    };

    /// <summary>Orders two ids part by part as numbers (<c>1.10</c> after <c>1.9</c>), or as text when either is not numbers.</summary>
    internal static int Compare(string a, string b)
    {
        var (x, y) = (Parts(a), Parts(b));
        if (x is null || y is null)
        {
            return string.CompareOrdinal(a, b);
        }
        for (var i = 0; i < Math.Max(x.Count, y.Count); i++)
        {
            var c = (i < x.Count ? x[i] : 0).CompareTo(i < y.Count ? y[i] : 0);
            if (c != 0)
            {
                return c;
            }
        }
        return 0;
    }

    /// <summary>Evolve's order: part by part as numbers, and a version before the longer ones it starts (<c>1</c> &lt; <c>1.0</c>).</summary>
    private static int CompareEvolve(string a, string b)
    {
        var (x, y) = (Parts(a), Parts(b));
        if (x is null || y is null)
        {
            return string.CompareOrdinal(a, b);
        }
        for (var i = 0; i < Math.Min(x.Count, y.Count); i++)
        {
            var c = x[i].CompareTo(y[i]);
            if (c != 0)
            {
                return c;
            }
        }
        return x.Count.CompareTo(y.Count);
    }

    private static List<BigInteger>? Parts(string v)
    {
        var parts = new List<BigInteger>();
        foreach (var p in v.Split('.', '_'))
        {
            if (!BigInteger.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return null;
            }
            parts.Add(n);
        }
        return parts;
    }
}

/// <summary>A table named like a tool's history table that the tool did not write (its columns differ).</summary>
internal sealed class ForeignHistoryMismatchException(string message, string hint) : Exception(message)
{
    /// <summary>What to do.</summary>
    public string Hint { get; } = hint;
}
