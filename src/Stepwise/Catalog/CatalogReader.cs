using System.Text.Json;
using Npgsql;

namespace Stepwise.Catalog;

/// <summary>
/// Reads a <see cref="SchemaModel"/> from <c>pg_catalog</c> in one round trip: one query whose result
/// is a single JSON document. It only reads; nothing in the database changes.
/// </summary>
public static class CatalogReader
{
    /// <summary>Reads the model of the database <paramref name="connection"/> is connected to.</summary>
    /// <param name="connection">An open connection.</param>
    /// <param name="excludedSchemas">Schemas to leave out besides the system ones (Stepwise's state schema).</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public static async Task<SchemaModel> ReadAsync(NpgsqlConnection connection, IReadOnlyCollection<string> excludedSchemas, CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand(Query, connection);
        command.Parameters.AddWithValue(excludedSchemas.ToArray());
        var json = (string)(await command.ExecuteScalarAsync(cancellationToken))!;
        return JsonSerializer.Deserialize<SchemaModel>(json, s_json)!;
    }

    private static readonly JsonSerializerOptions s_json = new() { PropertyNameCaseInsensitive = true };

    // $1: extra schemas to exclude. Every list is ordered so that equal schemas give equal models.
    private const string Query = """
        WITH ns AS (
            SELECT oid, nspname FROM pg_namespace
            WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg_toast%' AND nspname NOT LIKE 'pg_temp%'
              AND nspname <> ALL ($1::text[])
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = pg_namespace.oid AND d.deptype = 'e')
        ),
        rel AS (
            SELECT c.*, ns.nspname FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
            WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        )
        SELECT json_build_object(
          'schemas', (SELECT coalesce(json_agg(nspname ORDER BY nspname), '[]') FROM ns),
          'extensions', (SELECT coalesce(json_agg(json_build_object('name', extname, 'version', extversion) ORDER BY extname), '[]') FROM pg_extension WHERE extname <> 'plpgsql'),
          'tables', (SELECT coalesce(json_agg(json_build_object(
                'schema', r.nspname, 'name', r.relname, 'kind', CASE r.relkind WHEN 'p' THEN 'partitioned' ELSE 'table' END,
                'unlogged', r.relpersistence = 'u', 'rowSecurity', r.relrowsecurity, 'comment', obj_description(r.oid, 'pg_class'),
                'columns', (SELECT coalesce(json_agg(json_build_object(
                      'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'notNull', a.attnotnull,
                      'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
                      'identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
                      'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
                      'collation', CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN (SELECT collname FROM pg_collation WHERE oid = a.attcollation) END,
                      'comment', col_description(r.oid, a.attnum)) ORDER BY a.attnum), '[]')
                    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                    LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                    WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped),
                'constraints', (SELECT coalesce(json_agg(json_build_object(
                      'name', k.conname, 'type', CASE k.contype WHEN 'p' THEN 'primary key' WHEN 'f' THEN 'foreign key' WHEN 'u' THEN 'unique' WHEN 'c' THEN 'check' WHEN 'x' THEN 'exclusion' ELSE k.contype::text END,
                      'definition', regexp_replace(pg_get_constraintdef(k.oid), ' NOT VALID$', ''), 'validated', k.convalidated, 'deferrable', k.condeferrable, 'initiallyDeferred', k.condeferred) ORDER BY k.conname), '[]')
                    FROM pg_constraint k WHERE k.conrelid = r.oid)
              ) ORDER BY r.nspname, r.relname), '[]') FROM rel r WHERE r.relkind IN ('r', 'p')),
          'indexes', (SELECT coalesce(json_agg(json_build_object(
                'schema', r.nspname, 'table', t.relname, 'name', r.relname, 'definition', pg_get_indexdef(i.indexrelid),
                'unique', i.indisunique, 'valid', i.indisvalid) ORDER BY r.nspname, r.relname), '[]')
              FROM rel r JOIN pg_index i ON i.indexrelid = r.oid JOIN pg_class t ON t.oid = i.indrelid WHERE r.relkind IN ('i', 'I')),
          'views', (SELECT coalesce(json_agg(json_build_object(
                'schema', r.nspname, 'name', r.relname, 'materialized', r.relkind = 'm', 'definition', pg_get_viewdef(r.oid, true)) ORDER BY r.nspname, r.relname), '[]')
              FROM rel r WHERE r.relkind IN ('v', 'm')),
          'sequences', (SELECT coalesce(json_agg(json_build_object(
                'schema', r.nspname, 'name', r.relname, 'type', format_type(s.seqtypid, NULL), 'increment', s.seqincrement, 'min', s.seqmin, 'max', s.seqmax, 'cycle', s.seqcycle,
                'ownedBy', (SELECT t.relname || '.' || a.attname FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                            WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid AND d.deptype IN ('a', 'i') LIMIT 1)) ORDER BY r.nspname, r.relname), '[]')
              FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid WHERE r.relkind = 'S'),
          'enums', (SELECT coalesce(json_agg(json_build_object(
                'schema', ns.nspname, 'name', t.typname, 'labels', (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)) ORDER BY ns.nspname, t.typname), '[]')
              FROM pg_type t JOIN ns ON ns.oid = t.typnamespace WHERE t.typtype = 'e'),
          'functions', (SELECT coalesce(json_agg(json_build_object(
                'schema', ns.nspname, 'signature', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
                'kind', CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window' ELSE 'function' END,
                'returns', coalesce(pg_get_function_result(p.oid), ''), 'language', l.lanname,
                'bodyHash', md5(coalesce(p.prosrc, '') || coalesce(pg_get_function_sqlbody(p.oid), ''))) ORDER BY ns.nspname, p.proname, pg_get_function_identity_arguments(p.oid)), '[]')
              FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
              WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')),
          'triggers', (SELECT coalesce(json_agg(json_build_object(
                'schema', r.nspname, 'table', r.relname, 'name', g.tgname, 'definition', pg_get_triggerdef(g.oid, true), 'enabled', g.tgenabled <> 'D') ORDER BY r.nspname, r.relname, g.tgname), '[]')
              FROM pg_trigger g JOIN rel r ON r.oid = g.tgrelid WHERE NOT g.tgisinternal)
        )::text
        """;

    /// <summary>Reads the model of the database at <paramref name="connectionString"/>, leaving out <paramref name="stateSchema"/>.</summary>
    public static async Task<SchemaModel> ReadAsync(string connectionString, string stateSchema = "stepwise", CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(Execution.DatabaseTarget.Parse(connectionString).ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return await ReadAsync(connection, [stateSchema], cancellationToken);
    }
}
