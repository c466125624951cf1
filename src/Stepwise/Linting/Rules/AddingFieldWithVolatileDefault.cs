using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>ADD COLUMN with a volatile DEFAULT (or a serial or identity column) rewrites the table under ACCESS EXCLUSIVE.</summary>
public sealed class AddingFieldWithVolatileDefault : LintRule
{
    /// <summary>
    /// Volatile functions seen in column defaults: PostgreSQL 15's own and pgcrypto's and uuid-ossp's (checked
    /// against pg_proc.provolatile), plus random_normal (16) and uuidv4/uuidv7 (18).
    /// </summary>
    private static readonly HashSet<string> s_volatile = new(StringComparer.Ordinal)
    {
        "random", "random_normal", "setseed", "clock_timestamp", "timeofday", "gen_random_uuid", "uuidv4", "uuidv7",
        "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4", "gen_random_bytes", "gen_salt",
        "nextval", "currval", "lastval", "setval",
    };

    /// <summary>
    /// STABLE or IMMUTABLE functions common in defaults: evaluated once, stored in the catalog, no rewrite.
    /// txid_current() is here: it is STABLE (one value per transaction), not volatile.
    /// </summary>
    private static readonly HashSet<string> s_notVolatile = new(StringComparer.Ordinal)
    {
        "now", "transaction_timestamp", "statement_timestamp", "txid_current", "txid_current_if_assigned", "pg_current_xact_id",
        "current_setting", "current_database", "current_schema", "current_schemas", "version", "pg_backend_pid",
        "date_trunc", "date_part", "extract", "timezone", "age", "make_date", "make_time", "make_timestamp", "make_timestamptz", "make_interval",
        "to_char", "to_date", "to_timestamp", "to_number", "to_json", "to_jsonb", "row_to_json",
        "json_build_object", "jsonb_build_object", "json_build_array", "jsonb_build_array", "json_object", "jsonb_object",
        "lower", "upper", "initcap", "btrim", "ltrim", "rtrim", "concat", "concat_ws", "format", "length", "char_length", "substring",
        "position", "strpos", "split_part", "replace", "translate", "regexp_replace", "repeat", "reverse", "lpad", "rpad", "left", "right",
        "md5", "sha256", "digest", "encode", "decode", "array_fill", "array_to_string", "string_to_array",
        "abs", "round", "floor", "ceil", "ceiling",
        "uuid_nil", "uuid_ns_dns", "uuid_ns_url", "uuid_ns_oid", "uuid_ns_x500", "uuid_generate_v3", "uuid_generate_v5",
    };

    /// <inheritdoc />
    public override string Id => "adding-field-with-volatile-default";

    /// <inheritdoc />
    public override string Title => "A volatile DEFAULT on a new column rewrites the table";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override bool ScalesWithTableSize => true;

    /// <inheritdoc />
    public override string Why =>
        "Since PostgreSQL 11, ADD COLUMN with a default that is not volatile (a constant, now(), current_timestamp, any STABLE or IMMUTABLE "
        + "expression) evaluates it once and keeps the value in the catalog: existing rows are not touched. A volatile default (random(), "
        + "clock_timestamp(), gen_random_uuid(), nextval(), and so every serial and identity column) has to be computed row by row, so PostgreSQL "
        + "rewrites the whole table and rebuilds its indexes while holding ACCESS EXCLUSIVE: every read and write of the table waits until the "
        + "rewrite ends, which on a big table is minutes.";

    /// <inheritdoc />
    public override string Fix =>
        "Add the column without the default (or with a constant one), then give it the volatile default with ALTER COLUMN ... SET DEFAULT, "
        + "which only applies to new rows and rewrites nothing, and backfill existing rows in batches.";

    /// <inheritdoc />
    public override string FixExample =>
        "ALTER TABLE workflow_runs ADD COLUMN token uuid;\n"
        + "ALTER TABLE workflow_runs ALTER COLUMN token SET DEFAULT gen_random_uuid();\n"
        + "UPDATE workflow_runs SET token = gen_random_uuid() WHERE id BETWEEN 1 AND 10000 AND token IS NULL; -- batch by batch";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        foreach (var column in AddedColumn.In(statement, context))
        {
            var level = HeldLocks.On(statement.Tree, column.Table);
            var blocked = $"{HeldLocks.Blocked(level, column.Table)} are blocked {HeldLocks.Until(statement, "the rewrite ends")}";
            var rewrite = $"rewrites {column.Table} under {level.ToSql()}: {blocked}";
            if (column.Type is { IsSerial: true })
            {
                context.Report(statement, $"{column} fills every existing row from a new sequence (nextval() is volatile), so it {rewrite}", column.Table);
            }
            else if (column.IsIdentity)
            {
                context.Report(statement, $"{column} GENERATED AS IDENTITY fills every existing row from its sequence, so it {rewrite}", column.Table);
            }
            else if (column.Default is { IsMissing: false } expression)
            {
                var functions = Functions(expression).ToList();
                if (functions.FirstOrDefault(f => s_volatile.Contains(f.Name)) is { Name: not null } volatileCall)
                {
                    context.Report(statement,
                        $"{column} DEFAULT {volatileCall.Display}() {rewrite}; {volatileCall.Display}() is volatile, so PostgreSQL computes it for every existing row instead of storing one value",
                        column.Table);
                }
                else if (functions.FirstOrDefault(f => !s_notVolatile.Contains(f.Name)) is { Name: not null } unknown)
                {
                    context.Report(statement,
                        $"{column} DEFAULT {unknown.Display}() may rewrite {column.Table} under {level.ToSql()}, and then {blocked}: Stepwise does not know "
                        + $"whether {unknown.Display}() is volatile (a STABLE or IMMUTABLE function is evaluated once and rewrites nothing)",
                        column.Table, LintSeverity.Warning);
                }
            }
        }
    }

    /// <summary>The functions an expression calls, outermost first, by bare name (and as written, for messages).</summary>
    private static IEnumerable<(string Name, string Display)> Functions(SqlNode expression) =>
        new[] { expression }.Concat(expression.Descendants())
            .Where(n => n.Kind == "FuncCall")
            .Select(n => n.Names("funcname"))
            .Where(names => names.Count > 0)
            .Select(names => (names[^1], names.Count > 1 && names[0] != "pg_catalog" ? string.Join(".", names) : names[^1]));
}
