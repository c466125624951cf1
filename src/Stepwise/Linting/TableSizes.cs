using Npgsql;
using Stepwise.Connections;
using Stepwise.Sql;

namespace Stepwise.Linting;

/// <summary>Reads every table's size from a database in one query, for size-aware findings.</summary>
public static class TableSizes
{
    /// <summary>Sizes of ordinary, partitioned and materialized tables outside the system schemas.</summary>
    public static async Task<IReadOnlyDictionary<RelationName, TableSize>> LoadAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var connection = DataSources.Connection(connectionString);
        await connection.OpenAsync(cancellationToken);
        // reltuples is -1 for a table never vacuumed or analyzed (PostgreSQL 14+): then an empty table
        // (no pages) counts as 0 rows and anything else as unknown, which is never treated as small.
        await using var command = new NpgsqlCommand("""
            SELECT n.nspname, c.relname,
                   CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint WHEN c.relpages = 0 THEN 0 ELSE -1 END,
                   pg_total_relation_size(c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'm')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var sizes = new Dictionary<RelationName, TableSize>();
        while (await reader.ReadAsync(cancellationToken))
        {
            sizes[new RelationName(reader.GetString(0), reader.GetString(1))] = new TableSize(reader.GetInt64(2), reader.GetInt64(3));
        }
        return sizes;
    }
}
