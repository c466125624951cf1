using System.Globalization;
using System.Numerics;
using Npgsql;

namespace Stepwise.Import;

/// <summary>
/// What another tool's history table says was applied, read without changing it: EF's
/// <c>"__EFMigrationsHistory"</c>, dbmate's <c>schema_migrations</c>, Flyway's <c>flyway_schema_history</c>
/// and Atlas's <c>atlas_schema_revisions</c> (found on the search path; Atlas's also in its own schema).
/// </summary>
public sealed class ForeignHistory
{
    private readonly HashSet<string> _applied;
    private readonly List<string> _baselines;

    private ForeignHistory(string table, HashSet<string> applied, List<string> baselines, List<string> partial)
    {
        Table = table;
        _applied = applied;
        _baselines = baselines;
        Partial = partial;
    }

    /// <summary>Ids the tool started but did not finish (Atlas revisions with statements left).</summary>
    public IReadOnlyList<string> Partial { get; }

    /// <summary>The table read, as found.</summary>
    public string Table { get; }

    /// <summary>The ids the table lists as applied (baseline rows not included).</summary>
    public IReadOnlyCollection<string> Applied => _applied;

    /// <summary>
    /// True when the tool considers <paramref name="id"/> applied: listed, or (Flyway and Atlas) at or below
    /// a baseline version, comparing versions part by part as numbers.
    /// </summary>
    public bool IsApplied(string id) => _applied.Contains(id) || _baselines.Any(b => Compare(id, b) <= 0);

    /// <summary>The tables each tool keeps, in the order they are looked for.</summary>
    public static IReadOnlyList<string> Tables(ImportSource from) => from switch
    {
        ImportSource.Ef => ["\"__EFMigrationsHistory\""],
        ImportSource.Dbmate => ["schema_migrations"],
        ImportSource.Flyway => ["flyway_schema_history"],
        ImportSource.Atlas => ["atlas_schema_revisions.atlas_schema_revisions", "atlas_schema_revisions"],
        _ => throw new ArgumentOutOfRangeException(nameof(from)),
    };

    /// <summary>Reads the tool's table; null when the database has none.</summary>
    public static async Task<ForeignHistory?> ReadAsync(NpgsqlConnection connection, ImportSource from, CancellationToken cancellationToken = default)
    {
        foreach (var table in Tables(from))
        {
            await using (var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection))
            {
                exists.Parameters.AddWithValue(table);
                if (await exists.ExecuteScalarAsync(cancellationToken) is not true)
                {
                    continue;
                }
            }
            var applied = new HashSet<string>(StringComparer.Ordinal);
            var baselines = new List<string>();
            var partial = new List<string>();
            await using var command = new NpgsqlCommand(Query(from, table), connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetString(0);
                switch (reader.GetString(1))
                {
                    case "applied":
                        applied.Add(id);
                        break;
                    case "baseline":
                        baselines.Add(id);
                        break;
                    case "partial":
                        partial.Add(id);
                        break;
                    case "removed":
                        applied.Remove(id);
                        baselines.Remove(id);
                        break;
                }
            }
            return new ForeignHistory(table, applied, baselines, partial);
        }
        return null;
    }

    /// <summary>
    /// Rows as (id, applied | baseline | removed), in the order the tool wrote them. Flyway: a successful
    /// undo or a repair's delete marker removes a version; Atlas: a revision counts once all its statements
    /// ran (or it was resolved by hand), and its cloud identifier row is not a version.
    /// </summary>
    private static string Query(ImportSource from, string table) => from switch
    {
        ImportSource.Ef => $"SELECT \"MigrationId\", 'applied' FROM {table} ORDER BY \"MigrationId\"",
        ImportSource.Dbmate => $"SELECT version::text, 'applied' FROM {table} ORDER BY version",
        ImportSource.Flyway => $"""
            SELECT version, CASE WHEN type = 'BASELINE' THEN 'baseline'
                                 WHEN type LIKE 'UNDO%' OR type = 'DELETE' THEN 'removed'
                                 ELSE 'applied' END
            FROM {table} WHERE version IS NOT NULL AND success ORDER BY installed_rank
            """,
        ImportSource.Atlas => $"""
            SELECT version, CASE WHEN type & 1 = 1 THEN 'baseline'
                                 WHEN applied >= total OR type & 4 = 4 THEN 'applied'
                                 ELSE 'partial' END
            FROM {table} WHERE version NOT LIKE '.%' ORDER BY version
            """,
        _ => throw new ArgumentOutOfRangeException(nameof(from)),
    };

    private static int Compare(string a, string b)
    {
        static List<BigInteger>? Parts(string v)
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
}
