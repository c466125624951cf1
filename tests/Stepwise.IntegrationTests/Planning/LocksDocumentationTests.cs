using System.Text.RegularExpressions;
using Npgsql;
using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.IntegrationTests.Planning;

/// <summary>
/// docs/locks.md, row by row, against PostgreSQL: each row's example statement runs in a transaction (one that cannot
/// is made to wait behind a session holding ACCESS EXCLUSIVE, and its waiting request is read), pg_locks is read, and
/// the strongest mode held on every table, view, materialized view and sequence that existed before must be exactly
/// what the row lists; <see cref="StatementLocks"/> (given the database's foreign keys) must predict the same on the
/// relations it can see; and the row's lock column must name the mode. A row without an example fails.
/// </summary>
public sealed partial class LocksDocumentationTests(LocksDocumentationTests.Database database) : IClassFixture<LocksDocumentationTests.Database>
{
    public sealed class Database : LockProbeDatabase
    {
        protected override string Schema => LocksDocumentationTests.Schema;
    }

    private const string Schema = """
        CREATE SCHEMA archive;
        CREATE TABLE orgs (id int PRIMARY KEY, name text);
        CREATE UNIQUE INDEX orgs_name_idx ON orgs (name);
        INSERT INTO orgs VALUES (1, 'one');
        CREATE TABLE runs (id int PRIMARY KEY, org_id int, state text, payload text, n int, g int GENERATED ALWAYS AS (n * 2) STORED);
        CREATE INDEX runs_org_idx ON runs (org_id);
        ALTER TABLE runs ADD CONSTRAINT runs_org_fkey FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID;
        ALTER TABLE runs ADD CONSTRAINT runs_state_check CHECK (state <> '') NOT VALID;
        CREATE TABLE members (org_id int, who text);
        CREATE TABLE kids (id int, org_id int REFERENCES orgs);
        CREATE TABLE parent (a int);
        CREATE TABLE child (a int);
        CREATE TABLE heir (a int) INHERITS (parent);
        CREATE TABLE events (id int, k int) PARTITION BY RANGE (k);
        CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (0) TO (10);
        CREATE TABLE events_2 (id int, k int);
        CREATE VIEW runs_view AS SELECT * FROM runs;
        CREATE MATERIALIZED VIEW runs_mv AS SELECT id FROM runs;
        CREATE UNIQUE INDEX runs_mv_id ON runs_mv (id);
        CREATE SEQUENCE seq;
        CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER runs_trg BEFORE INSERT ON runs FOR EACH ROW EXECUTE FUNCTION noop();
        CREATE POLICY runs_policy ON runs USING (true);
        CREATE RULE members_rule AS ON UPDATE TO members DO ALSO NOTHING;
        CREATE TYPE mood AS ENUM ('ok');
        """;

    /// <summary>
    /// One example of a locks.md row. <paramref name="Locks"/>: every pre-existing relation PostgreSQL locks, the row's own
    /// first; a name starting with <c>~</c> is one the statement does not name (a footnote ¹ lock), which the parse tree
    /// alone cannot predict. <paramref name="Undo"/>: for a statement that cannot run in a transaction, what puts the schema back.
    /// </summary>
    public sealed record Example(string Row, string Sql, (string Relation, LockLevel Level)[] Locks, string? Undo = null)
    {
        public override string ToString() => Sql;
    }

    private const LockLevel AS = LockLevel.AccessShare, RS = LockLevel.RowShare, RE = LockLevel.RowExclusive, SUE = LockLevel.ShareUpdateExclusive,
        S = LockLevel.Share, SRE = LockLevel.ShareRowExclusive, E = LockLevel.Exclusive, AE = LockLevel.AccessExclusive;

    private static Example X(string row, string sql, params (string, LockLevel)[] locks) => new(row, sql, locks);

    public static readonly Example[] Examples =
    [
        // Tables
        X("`CREATE TABLE`", "CREATE TABLE fresh (a int)"),
        X("`CREATE TABLE ... REFERENCES other`", "CREATE TABLE fresh (org_id int REFERENCES orgs)", ("orgs", SRE)),
        X("`CREATE TABLE ... PARTITION OF parent`", "CREATE TABLE events_3 PARTITION OF events FOR VALUES FROM (20) TO (30)", ("events", AE)),
        X("`CREATE TABLE ... INHERITS (parent)`", "CREATE TABLE fresh (b int) INHERITS (parent)", ("parent", SUE)),
        X("`CREATE TABLE ... (LIKE source)`", "CREATE TABLE fresh (LIKE runs INCLUDING ALL)", ("runs", AS)),
        X("`CREATE TABLE ... AS`, `SELECT ... INTO`, `CREATE MATERIALIZED VIEW`", "CREATE TABLE fresh AS SELECT * FROM members", ("members", AS)),
        X("`CREATE TABLE ... AS`, `SELECT ... INTO`, `CREATE MATERIALIZED VIEW`", "SELECT * INTO fresh FROM members", ("members", AS)),
        X("`CREATE TABLE ... AS`, `SELECT ... INTO`, `CREATE MATERIALIZED VIEW`", "CREATE MATERIALIZED VIEW fresh AS SELECT * FROM members", ("members", AS)),
        X("`DROP TABLE`", "DROP TABLE members", ("members", AE)),
        X("`DROP TABLE`", "DROP TABLE kids", ("kids", AE), ("orgs", AE)),
        X("`TRUNCATE`", "TRUNCATE members", ("members", AE)),
        X("`TRUNCATE`", "TRUNCATE orgs CASCADE", ("orgs", AE), ("~runs", AE), ("~kids", AE)),
        X("`ALTER TABLE ... RENAME [COLUMN\\|CONSTRAINT]`, `SET SCHEMA`", "ALTER TABLE runs RENAME COLUMN payload TO body", ("runs", AE)),
        X("`ALTER TABLE ... RENAME [COLUMN\\|CONSTRAINT]`, `SET SCHEMA`", "ALTER TABLE runs RENAME CONSTRAINT runs_state_check TO runs_state_nonempty", ("runs", AE)),
        X("`ALTER TABLE ... RENAME [COLUMN\\|CONSTRAINT]`, `SET SCHEMA`", "ALTER TABLE members SET SCHEMA archive", ("members", AE)),
        // ALTER TABLE sub-commands
        X("`ADD COLUMN` (with or without a default)", "ALTER TABLE runs ADD COLUMN c int DEFAULT 0", ("runs", AE)),
        X("`ADD COLUMN` (with or without a default)", "ALTER TABLE runs ADD COLUMN c int REFERENCES orgs", ("runs", AE), ("orgs", SRE)),
        X("`DROP COLUMN`", "ALTER TABLE members DROP COLUMN who", ("members", AE)),
        X("`DROP COLUMN`", "ALTER TABLE kids DROP COLUMN org_id", ("kids", AE), ("orgs", AE)),
        X("`ALTER COLUMN ... TYPE`", "ALTER TABLE members ALTER COLUMN who TYPE varchar(10)", ("members", AE)),
        X("`ALTER COLUMN ... TYPE`", "ALTER TABLE kids ALTER COLUMN org_id TYPE bigint", ("kids", AE), ("orgs", AE)),
        X("`ALTER COLUMN ... SET/DROP NOT NULL`", "ALTER TABLE members ALTER COLUMN who SET NOT NULL", ("members", AE)),
        X("`ALTER COLUMN ... SET/DROP DEFAULT`", "ALTER TABLE members ALTER COLUMN who SET DEFAULT 'x'", ("members", AE)),
        X("`ALTER COLUMN ... SET STORAGE`, `SET COMPRESSION`, `DROP EXPRESSION`, identity changes", "ALTER TABLE members ALTER COLUMN who SET STORAGE EXTERNAL", ("members", AE)),
        X("`ALTER COLUMN ... SET STORAGE`, `SET COMPRESSION`, `DROP EXPRESSION`, identity changes", "ALTER TABLE runs ALTER COLUMN g DROP EXPRESSION", ("runs", AE)),
        X("`ALTER COLUMN ... SET STATISTICS`, `SET (n_distinct ...)`, `RESET (...)`", "ALTER TABLE members ALTER COLUMN who SET STATISTICS 100", ("members", SUE)),
        X("`ALTER COLUMN ... SET STATISTICS`, `SET (n_distinct ...)`, `RESET (...)`", "ALTER TABLE members ALTER COLUMN who SET (n_distinct = 5)", ("members", SUE)),
        X("`ADD CONSTRAINT ... CHECK` (also `NOT VALID`)", "ALTER TABLE runs ADD CONSTRAINT c CHECK (id > 0) NOT VALID", ("runs", AE)),
        X("`ADD CONSTRAINT ... PRIMARY KEY / UNIQUE / EXCLUDE` (also `USING INDEX`)", "ALTER TABLE runs ADD CONSTRAINT runs_state_key UNIQUE (state)", ("runs", AE)),
        X("`ADD CONSTRAINT ... PRIMARY KEY / UNIQUE / EXCLUDE` (also `USING INDEX`)", "ALTER TABLE orgs ADD CONSTRAINT orgs_name_key UNIQUE USING INDEX orgs_name_idx", ("orgs", AE)),
        X("`ADD CONSTRAINT ... FOREIGN KEY ... REFERENCES other` (also `NOT VALID`)",
            "ALTER TABLE members ADD CONSTRAINT members_org_fkey FOREIGN KEY (org_id) REFERENCES orgs (id)", ("members", SRE), ("orgs", SRE)),
        X("`ADD CONSTRAINT ... FOREIGN KEY ... REFERENCES other` (also `NOT VALID`)",
            "ALTER TABLE members ADD CONSTRAINT members_org_fkey FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID", ("members", SRE), ("orgs", SRE)),
        X("`VALIDATE CONSTRAINT`", "ALTER TABLE runs VALIDATE CONSTRAINT runs_state_check", ("runs", SUE)),
        X("`VALIDATE CONSTRAINT`", "ALTER TABLE runs VALIDATE CONSTRAINT runs_org_fkey", ("runs", SUE), ("orgs", RS)),
        X("`ALTER CONSTRAINT`, `DROP CONSTRAINT`", "ALTER TABLE runs ALTER CONSTRAINT runs_org_fkey DEFERRABLE", ("runs", AE)),
        X("`ALTER CONSTRAINT`, `DROP CONSTRAINT`", "ALTER TABLE runs DROP CONSTRAINT runs_state_check", ("runs", AE)),
        X("`ALTER CONSTRAINT`, `DROP CONSTRAINT`", "ALTER TABLE runs DROP CONSTRAINT runs_org_fkey", ("runs", AE), ("orgs", AE)),
        X("`SET (fillfactor, parallel_workers, toast_tuple_target, autovacuum_*, toast.autovacuum_*, vacuum_*, ...)`, `RESET (...)`",
            "ALTER TABLE runs SET (fillfactor = 70, toast.autovacuum_enabled = false)", ("runs", SUE)),
        X("`SET (...)` of any other storage parameter (`user_catalog_table`, `security_barrier`, `fastupdate`, ...)", "ALTER TABLE runs SET (user_catalog_table = true)", ("runs", AE)),
        X("`CLUSTER ON`, `SET WITHOUT CLUSTER`", "ALTER TABLE runs CLUSTER ON runs_pkey", ("runs", SUE)),
        X("`ENABLE/DISABLE [ALWAYS\\|REPLICA] TRIGGER`", "ALTER TABLE runs DISABLE TRIGGER runs_trg", ("runs", SRE)),
        X("`ENABLE/DISABLE RULE`", "ALTER TABLE members DISABLE RULE members_rule", ("members", AE)),
        X("`ENABLE/DISABLE/FORCE/NO FORCE ROW LEVEL SECURITY`", "ALTER TABLE runs ENABLE ROW LEVEL SECURITY", ("runs", AE)),
        X("`OWNER TO`, `SET TABLESPACE`, `SET ACCESS METHOD`, `SET LOGGED/UNLOGGED`, `REPLICA IDENTITY`, `OF`, `NOT OF`, `OPTIONS`", "ALTER TABLE runs REPLICA IDENTITY FULL", ("runs", AE)),
        X("`INHERIT parent`", "ALTER TABLE child INHERIT parent", ("child", AE), ("parent", SUE)),
        X("`NO INHERIT parent`", "ALTER TABLE heir NO INHERIT parent", ("heir", AE), ("parent", AS)),
        X("`ATTACH PARTITION p`", "ALTER TABLE events ATTACH PARTITION events_2 FOR VALUES FROM (10) TO (20)", ("events", SUE), ("events_2", AE)),
        X("`DETACH PARTITION p`", "ALTER TABLE events DETACH PARTITION events_1", ("events", AE), ("events_1", AE)),
        new("`DETACH PARTITION p CONCURRENTLY`, `... FINALIZE`", "ALTER TABLE events DETACH PARTITION events_1 CONCURRENTLY", [("events", SUE)],
            Undo: "ALTER TABLE events ATTACH PARTITION events_1 FOR VALUES FROM (0) TO (10)"),
        // Indexes, statistics, maintenance
        X("`CREATE INDEX`", "CREATE INDEX fresh_idx ON runs (state)", ("runs", S)),
        new("`CREATE INDEX CONCURRENTLY`", "CREATE INDEX CONCURRENTLY fresh_idx ON runs (state)", [("runs", SUE)], Undo: "DROP INDEX fresh_idx"),
        X("`DROP INDEX`", "DROP INDEX runs_org_idx", ("runs_org_idx", AE), ("~runs", AE)),
        new("`DROP INDEX CONCURRENTLY`", "DROP INDEX CONCURRENTLY runs_org_idx", [("~runs", SUE)], Undo: "CREATE INDEX runs_org_idx ON runs (org_id)"),
        X("`ALTER INDEX ... RENAME TO`", "ALTER INDEX runs_org_idx RENAME TO runs_org_id_idx", ("runs_org_idx", SUE)),
        X("`REINDEX INDEX`", "REINDEX INDEX runs_org_idx", ("runs_org_idx", AE), ("~runs", S)),
        X("`REINDEX TABLE`", "REINDEX TABLE runs", ("runs", S)),
        new("`REINDEX ... CONCURRENTLY`", "REINDEX TABLE CONCURRENTLY runs", [("runs", SUE)], Undo: ""),
        X("`CREATE STATISTICS`", "CREATE STATISTICS fresh_stats ON org_id, state FROM runs", ("runs", SUE)),
        X("`VACUUM`, `ANALYZE`", "ANALYZE runs", ("runs", SUE)),
        new("`VACUUM`, `ANALYZE`", "VACUUM runs", [("runs", SUE)], Undo: ""),
        new("`VACUUM FULL`", "VACUUM FULL members", [("members", AE)], Undo: ""),
        X("`CLUSTER`", "CLUSTER runs USING runs_pkey", ("runs", AE)),
        X("`REFRESH MATERIALIZED VIEW`", "REFRESH MATERIALIZED VIEW runs_mv", ("runs_mv", AE), ("~runs", AS)),
        new("`REFRESH MATERIALIZED VIEW CONCURRENTLY`", "REFRESH MATERIALIZED VIEW CONCURRENTLY runs_mv", [("runs_mv", E), ("~runs", AS)]),
        X("`LOCK TABLE ... [IN mode MODE]`", "LOCK TABLE runs IN SHARE MODE", ("runs", S)),
        X("`LOCK TABLE ... [IN mode MODE]`", "LOCK TABLE runs", ("runs", AE)),
        // Views, triggers, rules, policies, comments, sequences
        X("`CREATE VIEW`", "CREATE VIEW fresh AS SELECT * FROM runs", ("runs", AS)),
        X("`CREATE OR REPLACE VIEW`", "CREATE OR REPLACE VIEW runs_view AS SELECT * FROM runs", ("runs_view", AE), ("runs", AS)),
        X("`DROP VIEW`, `DROP MATERIALIZED VIEW`", "DROP VIEW runs_view", ("runs_view", AE)),
        X("`DROP VIEW`, `DROP MATERIALIZED VIEW`", "DROP MATERIALIZED VIEW runs_mv", ("runs_mv", AE)),
        X("`CREATE [OR REPLACE] TRIGGER`", "CREATE TRIGGER fresh_trg AFTER UPDATE ON runs FOR EACH ROW EXECUTE FUNCTION noop()", ("runs", SRE)),
        X("`CREATE CONSTRAINT TRIGGER ... FROM other`", "CREATE CONSTRAINT TRIGGER fresh_ct AFTER INSERT ON runs FROM orgs FOR EACH ROW EXECUTE FUNCTION noop()", ("orgs", AS), ("runs", SRE)),
        X("`DROP TRIGGER`, `ALTER TRIGGER ... RENAME`", "DROP TRIGGER runs_trg ON runs", ("runs", AE)),
        X("`DROP TRIGGER`, `ALTER TRIGGER ... RENAME`", "ALTER TRIGGER runs_trg ON runs RENAME TO runs_trigger", ("runs", AE)),
        X("`CREATE RULE`, `DROP RULE`", "CREATE RULE fresh_rule AS ON DELETE TO orgs DO ALSO NOTHING", ("orgs", AE)),
        X("`CREATE RULE`, `DROP RULE`", "DROP RULE members_rule ON members", ("members", AE)),
        X("`CREATE POLICY`, `ALTER POLICY`, `DROP POLICY`", "CREATE POLICY fresh_policy ON runs USING (org_id IN (SELECT org_id FROM members))", ("runs", AE), ("members", AS)),
        X("`CREATE POLICY`, `ALTER POLICY`, `DROP POLICY`", "ALTER POLICY runs_policy ON runs USING (id > 0)", ("runs", AE)),
        X("`CREATE POLICY`, `ALTER POLICY`, `DROP POLICY`", "DROP POLICY runs_policy ON runs", ("runs", AE)),
        X("`COMMENT ON TABLE/COLUMN/INDEX/VIEW/CONSTRAINT/TRIGGER/...`, `SECURITY LABEL`", "COMMENT ON TABLE runs IS 'x'", ("runs", SUE)),
        X("`COMMENT ON TABLE/COLUMN/INDEX/VIEW/CONSTRAINT/TRIGGER/...`, `SECURITY LABEL`", "COMMENT ON COLUMN runs.state IS 'x'", ("runs", SUE)),
        X("`COMMENT ON FUNCTION/SCHEMA/TYPE/...`", "COMMENT ON FUNCTION noop() IS 'x'"),
        X("`COMMENT ON FUNCTION/SCHEMA/TYPE/...`", "COMMENT ON TYPE mood IS 'x'"),
        X("`ALTER SEQUENCE`", "ALTER SEQUENCE seq RESTART WITH 10", ("seq", SRE)),
        X("`[CREATE\\|ALTER] SEQUENCE ... OWNED BY t.c`", "CREATE SEQUENCE fresh_seq OWNED BY runs.id", ("runs", AS)),
        X("`[CREATE\\|ALTER] SEQUENCE ... OWNED BY t.c`", "ALTER SEQUENCE seq OWNED BY runs.id", ("runs", AS), ("seq", SRE)),
        X("`DROP SEQUENCE`", "DROP SEQUENCE seq", ("seq", AE)),
        X("`GRANT`, `REVOKE`", "GRANT SELECT ON runs TO public"),
        // Queries
        X("`SELECT`", "SELECT * FROM runs JOIN orgs ON orgs.id = runs.org_id", ("runs", AS), ("orgs", AS)),
        X("`SELECT ... FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE`", "SELECT * FROM runs FOR UPDATE", ("runs", RS)),
        X("`INSERT`, `UPDATE`, `DELETE`, `MERGE`", "UPDATE members SET who = 'x' WHERE org_id IN (SELECT id FROM orgs)", ("members", RE), ("orgs", AS)),
        X("`INSERT`, `UPDATE`, `DELETE`, `MERGE`", "DELETE FROM members USING orgs WHERE orgs.id = members.org_id", ("members", RE), ("orgs", AS)),
        X("`INSERT`, `UPDATE`, `DELETE`, `MERGE`", "MERGE INTO parent p USING orgs o ON p.a = o.id WHEN NOT MATCHED THEN INSERT VALUES (o.id)", ("parent", RE), ("orgs", AS), ("~heir", RE)),
        X("`INSERT`, `UPDATE`, `DELETE`, `MERGE`", "INSERT INTO runs (id, org_id) VALUES (1, 1)", ("runs", RE), ("~orgs", RS)),
        X("the same", "INSERT INTO members SELECT id, name FROM orgs", ("orgs", AS), ("members", RE)),
        X("`COPY t FROM`", "COPY members FROM '/dev/null'", ("members", RE)),
        X("`COPY t TO`, `COPY (query) TO`", "COPY members TO '/dev/null'", ("members", AS)),
        X("`EXPLAIN`, `PREPARE`, `DECLARE CURSOR`", "EXPLAIN UPDATE members SET who = 'x'", ("members", RE)),
    ];

    /// <summary>Rows with no statement to run here, and why.</summary>
    private static readonly Dictionary<string, string> s_notProbed = new()
    {
        ["anything newer than PostgreSQL 15"] = "the test server is PostgreSQL 15",
        ["`REINDEX SCHEMA/DATABASE/SYSTEM`"] = "the row says tables not named are not listed: there is nothing to compare",
    };

    public static TheoryData<Example> Cases => [.. Examples];

    [Fact]
    public void Every_row_of_locks_md_has_an_example_and_every_example_a_row()
    {
        var rows = DocumentedRows().Keys.ToList();

        Assert.Equal([], rows.Where(r => !s_notProbed.ContainsKey(r) && Examples.All(e => e.Row != r)));
        Assert.Equal([], Examples.Select(e => e.Row).Distinct().Where(r => !rows.Contains(r)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Locks_md_row_matches_pg_locks_and_StatementLocks(Example example)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        var relations = await RelationsAsync(connection);
        var foreignKeys = await ForeignKeys.LoadAsync(database.ConnectionString);
        var tree = Assert.Single(SqlParser.Parse(example.Sql).Statements).Tree!;
        var predicted = StatementLocks.For(tree, foreignKeys).ToDictionary(l => l.Relation.Name, l => l.Level);

        var held = tree.CannotRunInTransaction || example.Undo is not null
            ? await WaitingRequestAsync(example, relations[example.Locks[0].Relation.TrimStart('~')].Oid, example.Locks[0].Level)
            : await PgLocks.HeldInTransactionAsync(connection, example.Sql);

        var expected = example.Locks.ToDictionary(l => l.Relation.TrimStart('~'), l => l.Level);
        var measured = relations
            .Where(r => held.ContainsKey(r.Value.Oid) && (!r.Value.IsIndex || expected.ContainsKey(r.Key)))
            .ToDictionary(r => r.Key, r => held[r.Value.Oid]);
        if (example.Undo is not null)
        {
            // Only the first request of a waiting statement can be seen.
            measured = measured.Where(m => m.Key == example.Locks[0].Relation.TrimStart('~')).ToDictionary();
            expected = expected.Take(1).ToDictionary();
        }
        Assert.Equal(Describe(expected), Describe(measured));
        foreach (var (relation, level) in example.Locks.Where(l => !l.Relation.StartsWith('~')))
        {
            Assert.True(predicted.GetValueOrDefault(relation) == level,
                $"{relation}: PostgreSQL takes {level.ToSql()}, StatementLocks says {predicted.GetValueOrDefault(relation).ToSql()}");
        }
        var documented = DocumentedRows()[example.Row];
        var own = example.Locks.Length == 0 ? "none" : example.Locks[0].Level.ToSql();
        Assert.True(!IsMode(documented) || documented == own || documented == $"{own} (assumed)",
            $"locks.md says {documented} for {example.Row}; PostgreSQL takes {own}");
    }

    private static string Describe(Dictionary<string, LockLevel> locks) =>
        string.Join(", ", locks.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value.ToSql()}"));

    private static bool IsMode(string text) =>
        text == "none" || Enum.GetValues<LockLevel>().Any(l => l != LockLevel.None && text.StartsWith(l.ToSql(), StringComparison.Ordinal));

    /// <summary>The statement tables of locks.md: first cell → lock cell.</summary>
    private static Dictionary<string, string> DocumentedRows()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Stepwise.slnx")))
        {
            dir = dir.Parent;
        }
        var text = File.ReadAllText(Path.Combine(dir!.FullName, "docs", "locks.md"));
        var start = text.IndexOf("## Statement by statement", StringComparison.Ordinal);
        var end = text.IndexOf("## What the parse tree", StringComparison.Ordinal);
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text[start..end].Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal)))
        {
            var cells = Cell().Split(line.Trim().Trim('|')).Select(c => c.Trim()).ToArray();
            if (cells[0] is "statement" or "sub-command" || cells[0].StartsWith("---", StringComparison.Ordinal))
            {
                continue;
            }
            rows[cells[0]] = cells[1];
        }
        return rows;
    }

    /// <summary>A cell border: a pipe not escaped with a backslash.</summary>
    [GeneratedRegex(@"(?<!\\)\|")]
    private static partial Regex Cell();

    private static async Task<Dictionary<string, (uint Oid, bool IsIndex)>> RelationsAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("""
            SELECT c.relname, c.oid, c.relkind IN ('i', 'I') FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'i', 'I')
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var relations = new Dictionary<string, (uint, bool)>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            relations[reader.GetString(0)] = (reader.GetFieldValue<uint>(1), reader.GetBoolean(2));
        }
        return relations;
    }

    /// <summary>
    /// A statement that cannot run in a transaction: a second session holds on <paramref name="blocked"/> the weakest mode that
    /// conflicts with <paramref name="expected"/> (so that weaker locks the statement takes first, such as VACUUM's ACCESS SHARE
    /// while it looks the table up, do not wait), the statement's request waits and is read from pg_locks, then the second
    /// session lets it finish and the schema is put back.
    /// </summary>
    private async Task<Dictionary<uint, LockLevel>> WaitingRequestAsync(Example example, uint blocked, LockLevel expected)
    {
        var blocking = Enum.GetValues<LockLevel>().First(l => l != LockLevel.None && expected.ConflictsWith(l));
        await using var blocker = new NpgsqlConnection(database.ConnectionString);
        await using var runner = new NpgsqlConnection(database.ConnectionString);
        await using var watcher = new NpgsqlConnection(database.ConnectionString);
        await Task.WhenAll(blocker.OpenAsync(), runner.OpenAsync(), watcher.OpenAsync());
        await using var hold = await blocker.BeginTransactionAsync();
        await using (var lockIt = new NpgsqlCommand($"LOCK TABLE {await NameAsync(watcher, blocked)} IN {blocking.ToSql()} MODE", blocker, hold))
        {
            await lockIt.ExecuteNonQueryAsync();
        }
        await using var statement = new NpgsqlCommand(example.Sql, runner);
        var running = statement.ExecuteNonQueryAsync();
        Dictionary<uint, LockLevel> waiting = [];
        for (var polls = 0; polls < 500 && waiting.Count == 0; polls++)
        {
            waiting = await PgLocks.OfAsync(watcher, null, runner.ProcessID, granted: false);
            if (waiting.Count == 0)
            {
                await Task.Delay(10);
            }
        }
        await hold.RollbackAsync();
        await running;
        if (!string.IsNullOrEmpty(example.Undo))
        {
            await using var undo = new NpgsqlCommand(example.Undo, watcher);
            await undo.ExecuteNonQueryAsync();
        }
        return waiting;
    }

    private static async Task<string> NameAsync(NpgsqlConnection connection, uint oid)
    {
        await using var command = new NpgsqlCommand($"SELECT {oid}::oid::regclass::text", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
