using System.Text.Json;
using Npgsql;
using Stepwise.Connections;

namespace Stepwise.Catalog;

/// <summary>
/// Reads a <see cref="SchemaModel"/> from <c>pg_catalog</c> in one round trip: one query whose result
/// is a single JSON document. It only reads; nothing in the database changes. Comments are read from
/// <c>pg_description</c> with subqueries rather than <c>obj_description()</c>, a SQL function that is not
/// inlined and costs a function call per object (it doubled the time on 1,000 tables).
/// </summary>
public static class CatalogReader
{
    /// <summary>Reads the model of the database <paramref name="connection"/> is connected to.</summary>
    /// <param name="connection">An open connection.</param>
    /// <param name="excludedSchemas">Schemas to leave out besides the system ones (Stepwise's state schema).</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public static Task<SchemaModel> ReadAsync(NpgsqlConnection connection, IReadOnlyCollection<string> excludedSchemas, CancellationToken cancellationToken = default) =>
        ReadAsync(connection, excludedSchemas, includeHelpers: false, cancellationToken);

    /// <param name="includeHelpers">Keep Stepwise's helper objects (<c>_stepwise_*</c>): a rollback must leave none behind.</param>
    private static async Task<SchemaModel> ReadAsync(NpgsqlConnection connection, IReadOnlyCollection<string> excludedSchemas, bool includeHelpers, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(Query, connection);
        command.Parameters.AddWithValue(excludedSchemas.ToArray());
        command.Parameters.AddWithValue(includeHelpers);
        var json = (string)(await command.ExecuteScalarAsync(cancellationToken))!;
        return JsonSerializer.Deserialize(json, SchemaModelJson.Default.SchemaModel)!;
    }

    /// <summary>
    /// How a version schema's comment starts (<c>stepwise version schema of 0004_rename</c>): such schemas hold views Stepwise
    /// made for one application version, and are left out of the model like the other helper objects (the query above
    /// spells the same prefix).
    /// </summary>
    public const string VersionSchemaComment = "stepwise version schema";

    // $1: extra schemas to exclude; $2: keep helper objects named _stepwise_* and version schemas. Every list is ordered so that equal schemas give equal models.
    private const string Query = """
        WITH ns AS (
            SELECT oid, nspname FROM pg_namespace
            WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg_toast%' AND nspname NOT LIKE 'pg_temp%'
              AND nspname <> ALL ($1::text[])
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = pg_namespace.oid AND d.deptype = 'e')
              AND ($2 OR NOT EXISTS (SELECT 1 FROM pg_description d WHERE d.objoid = pg_namespace.oid AND d.classoid = 'pg_namespace'::regclass
                                     AND d.description LIKE 'stepwise version schema%'))
        ),
        rel AS (
            SELECT c.*, ns.nspname FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
            WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ),
        typ AS (
            SELECT t.*, ns.nspname FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
            WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
        ),
        -- The objects whose order of creation matters, by their pg_depend identity: a view's rewrite rule stands for the view,
        -- a column default for its table, a table's row type for the table.
        objkey AS (
            SELECT 'pg_class'::regclass AS classid, r.oid AS objid, CASE WHEN r.relkind IN ('r', 'p') THEN 'table ' ELSE 'view ' END || r.nspname || '.' || r.relname AS key
              FROM rel r WHERE r.relkind IN ('r', 'p', 'v', 'm')
            UNION ALL
            SELECT 'pg_rewrite'::regclass, w.oid, 'view ' || r.nspname || '.' || r.relname FROM pg_rewrite w JOIN rel r ON r.oid = w.ev_class WHERE r.relkind IN ('v', 'm')
            UNION ALL
            SELECT 'pg_attrdef'::regclass, ad.oid, 'table ' || r.nspname || '.' || r.relname FROM pg_attrdef ad JOIN rel r ON r.oid = ad.adrelid WHERE r.relkind IN ('r', 'p')
            UNION ALL
            SELECT 'pg_type'::regclass, t.oid, CASE WHEN r.relkind IN ('r', 'p') THEN 'table ' ELSE 'view ' END || r.nspname || '.' || r.relname
              FROM pg_type t JOIN rel r ON r.oid = t.typrelid WHERE r.relkind IN ('r', 'p', 'v', 'm')
            UNION ALL
            SELECT 'pg_proc'::regclass, p.oid, 'function ' || ns.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
              FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
        )
        SELECT json_build_object(
          'schemas', (SELECT coalesce(json_agg(json_build_object('name', nspname, 'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = oid AND d.classoid = 'pg_namespace'::regclass AND d.objsubid = 0)) ORDER BY nspname), '[]') FROM ns),
          'extensions', (SELECT coalesce(json_agg(json_build_object('name', extname, 'version', extversion, 'schema', (SELECT nspname FROM pg_namespace WHERE oid = extnamespace)) ORDER BY extname), '[]')
              FROM pg_extension WHERE extname <> 'plpgsql'),
          'tables', (SELECT coalesce(json_agg(json_build_object(
                'schema', r.nspname, 'name', r.relname, 'kind', CASE r.relkind WHEN 'p' THEN 'partitioned' ELSE 'table' END,
                'unlogged', r.relpersistence = 'u', 'rowSecurity', r.relrowsecurity, 'forceRowSecurity', r.relforcerowsecurity, 'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = r.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0),
                'partitionKey', CASE WHEN r.relkind = 'p' THEN pg_get_partkeydef(r.oid) END,
                'partitionOf', (SELECT pn.nspname || '.' || p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
                                WHERE r.relispartition AND i.inhrelid = r.oid),
                'partitionBound', CASE WHEN r.relispartition THEN pg_get_expr(r.relpartbound, r.oid) END,
                'replicaIdentity', CASE r.relreplident WHEN 'f' THEN 'full' WHEN 'n' THEN 'nothing' WHEN 'i' THEN 'index' ELSE 'default' END,
                'replicaIdentityIndex', (SELECT x.relname FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid WHERE r.relreplident = 'i' AND i.indrelid = r.oid AND i.indisreplident),
                'columns', (SELECT coalesce(json_agg(json_build_object(
                      'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'notNull', a.attnotnull,
                      'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
                      'identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
                      'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
                      'collation', CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN (SELECT collname FROM pg_collation WHERE oid = a.attcollation) END,
                      'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = r.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum)) ORDER BY a.attnum), '[]')
                    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                    LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                    WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped),
                'constraints', (SELECT coalesce(json_agg(json_build_object(
                      'name', k.conname, 'type', CASE k.contype WHEN 'p' THEN 'primary key' WHEN 'f' THEN 'foreign key' WHEN 'u' THEN 'unique' WHEN 'c' THEN 'check' WHEN 'x' THEN 'exclusion' ELSE k.contype::text END,
                      'definition', regexp_replace(pg_get_constraintdef(k.oid), ' NOT VALID$', ''), 'validated', k.convalidated, 'deferrable', k.condeferrable, 'initiallyDeferred', k.condeferred,
                      'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = k.oid AND d.classoid = 'pg_constraint'::regclass AND d.objsubid = 0), 'inherited', k.conparentid <> 0 OR NOT k.conislocal,
                      'columns', (SELECT json_agg(a.attname ORDER BY c.n) FROM unnest(k.conkey) WITH ORDINALITY c(attnum, n)
                                  JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = c.attnum)) ORDER BY k.conname), '[]')
                    FROM pg_constraint k WHERE k.conrelid = r.oid AND ($2 OR k.conname NOT LIKE '\_stepwise\_%'))
              ) ORDER BY r.nspname, r.relname), '[]') FROM rel r WHERE r.relkind IN ('r', 'p')),
          'indexes', (SELECT coalesce(json_agg(json_build_object(
                'schema', r.nspname, 'table', t.relname, 'name', r.relname, 'definition', pg_get_indexdef(i.indexrelid),
                'unique', i.indisunique, 'valid', i.indisvalid, 'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = r.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0), 'inherited', r.relispartition,
                'constraint', (SELECT k.conname FROM pg_constraint k WHERE k.conindid = r.oid AND k.conrelid = t.oid AND k.contype IN ('p', 'u', 'x'))) ORDER BY r.nspname, r.relname), '[]')
              FROM rel r JOIN pg_index i ON i.indexrelid = r.oid JOIN pg_class t ON t.oid = i.indrelid WHERE r.relkind IN ('i', 'I') AND ($2 OR r.relname NOT LIKE '\_stepwise\_%')),
          'views', (SELECT coalesce(json_agg(json_build_object(
                'schema', r.nspname, 'name', r.relname, 'materialized', r.relkind = 'm', 'definition', pg_get_viewdef(r.oid, true),
                'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = r.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0)) ORDER BY r.nspname, r.relname), '[]')
              FROM rel r WHERE r.relkind IN ('v', 'm')),
          'sequences', (SELECT coalesce(json_agg(json_build_object(
                'schema', r.nspname, 'name', r.relname, 'type', format_type(s.seqtypid, NULL), 'increment', s.seqincrement, 'min', s.seqmin, 'max', s.seqmax, 'cycle', s.seqcycle,
                'start', s.seqstart, 'cache', s.seqcache, 'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = r.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0),
                'ownedBy', (SELECT t.relname || '.' || a.attname FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                            WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid AND d.deptype IN ('a', 'i') LIMIT 1)) ORDER BY r.nspname, r.relname), '[]')
              FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid WHERE r.relkind = 'S'),
          'enums', (SELECT coalesce(json_agg(json_build_object(
                'schema', t.nspname, 'name', t.typname, 'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = t.oid AND d.classoid = 'pg_type'::regclass AND d.objsubid = 0),
                'labels', (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)) ORDER BY t.nspname, t.typname), '[]')
              FROM typ t WHERE t.typtype = 'e'),
          'domains', (SELECT coalesce(json_agg(json_build_object(
                'schema', t.nspname, 'name', t.typname, 'type', format_type(t.typbasetype, t.typtypmod), 'notNull', t.typnotnull, 'default', t.typdefault,
                'collation', CASE WHEN t.typcollation <> 0 AND t.typcollation <> b.typcollation THEN (SELECT collname FROM pg_collation WHERE oid = t.typcollation) END,
                'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = t.oid AND d.classoid = 'pg_type'::regclass AND d.objsubid = 0),
                'constraints', (SELECT coalesce(json_agg(json_build_object(
                      'name', k.conname, 'type', 'check', 'definition', regexp_replace(pg_get_constraintdef(k.oid), ' NOT VALID$', ''), 'validated', k.convalidated,
                      'deferrable', false, 'initiallyDeferred', false, 'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = k.oid AND d.classoid = 'pg_constraint'::regclass AND d.objsubid = 0)) ORDER BY k.conname), '[]')
                    FROM pg_constraint k WHERE k.contypid = t.oid)) ORDER BY t.nspname, t.typname), '[]')
              FROM typ t JOIN pg_type b ON b.oid = t.typbasetype WHERE t.typtype = 'd'),
          'compositeTypes', (SELECT coalesce(json_agg(json_build_object(
                'schema', t.nspname, 'name', t.typname, 'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = t.oid AND d.classoid = 'pg_type'::regclass AND d.objsubid = 0),
                'attributes', (SELECT coalesce(json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                      'collation', CASE WHEN a.attcollation <> 0 AND a.attcollation <> at.typcollation THEN (SELECT collname FROM pg_collation WHERE oid = a.attcollation) END) ORDER BY a.attnum), '[]')
                    FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)) ORDER BY t.nspname, t.typname), '[]')
              FROM typ t JOIN pg_class c ON c.oid = t.typrelid WHERE t.typtype = 'c' AND c.relkind = 'c'),
          'functions', (SELECT coalesce(json_agg(json_build_object(
                'schema', ns.nspname, 'signature', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
                'kind', CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window' ELSE 'function' END,
                'returns', coalesce(pg_get_function_result(p.oid), ''), 'language', l.lanname,
                'volatility', CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END, 'securityDefiner', p.prosecdef,
                'definition', CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) END, 'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass AND d.objsubid = 0),
                'bodyHash', md5(coalesce(p.prosrc, '') || coalesce(pg_get_function_sqlbody(p.oid), ''))) ORDER BY ns.nspname, p.proname, pg_get_function_identity_arguments(p.oid)), '[]')
              FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
              WHERE ($2 OR p.proname NOT LIKE '\_stepwise\_%')
                AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')),
          'triggers', (SELECT coalesce(json_agg(json_build_object(
                'schema', r.nspname, 'table', r.relname, 'name', g.tgname, 'definition', pg_get_triggerdef(g.oid, true), 'enabled', g.tgenabled <> 'D',
                'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = g.oid AND d.classoid = 'pg_trigger'::regclass AND d.objsubid = 0)) ORDER BY r.nspname, r.relname, g.tgname), '[]')
              FROM pg_trigger g JOIN rel r ON r.oid = g.tgrelid WHERE NOT g.tgisinternal AND g.tgparentid = 0 AND ($2 OR g.tgname NOT LIKE '\_stepwise\_%')),
          'policies', (SELECT coalesce(json_agg(json_build_object(
                'schema', r.nspname, 'table', r.relname, 'name', p.polname,
                'command', CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                'permissive', p.polpermissive,
                'roles', (SELECT coalesce(json_agg(n ORDER BY n), '[]') FROM (SELECT CASE WHEN role = 0 THEN 'public' ELSE (SELECT rolname FROM pg_roles WHERE oid = role) END AS n FROM unnest(p.polroles) role) x),
                'using', pg_get_expr(p.polqual, p.polrelid), 'withCheck', pg_get_expr(p.polwithcheck, p.polrelid)) ORDER BY r.nspname, r.relname, p.polname), '[]')
              FROM pg_policy p JOIN rel r ON r.oid = p.polrelid),
          'dependencies', (SELECT coalesce(json_agg(json_build_object('object', x.object, 'on', x.on_) ORDER BY x.object, x.on_), '[]')
              FROM (SELECT DISTINCT o.key AS object, r.key AS on_ FROM pg_depend d
                    JOIN objkey o ON o.classid = d.classid AND o.objid = d.objid JOIN objkey r ON r.classid = d.refclassid AND r.objid = d.refobjid
                    WHERE d.deptype = 'n' AND o.key <> r.key) x)
        )::text
        """;

    /// <summary>Reads the model of the database at <paramref name="connectionString"/>, leaving out <paramref name="stateSchema"/>.</summary>
    public static Task<SchemaModel> ReadAsync(string connectionString, string stateSchema = "stepwise", CancellationToken cancellationToken = default) =>
        ReadAsync(connectionString, stateSchema, includeHelpers: false, cancellationToken);

    /// <summary>The model with Stepwise's helper objects (fill triggers and functions, temporary checks): what a rollback must have removed.</summary>
    public static Task<SchemaModel> ReadWithHelpersAsync(string connectionString, string stateSchema = "stepwise", CancellationToken cancellationToken = default) =>
        ReadAsync(connectionString, stateSchema, includeHelpers: true, cancellationToken);

    private static async Task<SchemaModel> ReadAsync(string connectionString, string stateSchema, bool includeHelpers, CancellationToken cancellationToken)
    {
        await using var connection = DataSources.Connection(DatabaseTarget.Parse(connectionString).ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return await ReadAsync(connection, [stateSchema], includeHelpers, cancellationToken);
    }
}
