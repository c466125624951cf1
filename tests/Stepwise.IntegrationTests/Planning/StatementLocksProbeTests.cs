using Npgsql;
using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.IntegrationTests.Planning;

/// <summary>
/// Checks <see cref="StatementLocks"/> against the locks PostgreSQL really holds: each statement runs
/// in a transaction, pg_locks is read before ROLLBACK, and for every relation the statement names that
/// existed before, the strongest mode held must be the one Stepwise derived from the parse tree.
/// Statements that cannot run in a transaction block (CONCURRENTLY, VACUUM) are not probed here.
/// </summary>
public sealed class StatementLocksProbeTests(StatementLocksProbeTests.Database database) : IClassFixture<StatementLocksProbeTests.Database>
{
    public sealed class Database : LockProbeDatabase
    {
        protected override string Schema => StatementLocksProbeTests.Schema;
    }

    private const string Schema = """
        CREATE SCHEMA archive;
        CREATE TABLE orgs (id int PRIMARY KEY, name text);
        CREATE UNIQUE INDEX orgs_name_idx ON orgs (name);
        INSERT INTO orgs VALUES (1, 'one');
        CREATE TABLE runs (id int PRIMARY KEY, org_id int, state text, payload text);
        CREATE INDEX runs_org_idx ON runs (org_id);
        ALTER TABLE runs ADD CONSTRAINT runs_org_fkey FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID;
        ALTER TABLE runs ADD CONSTRAINT runs_state_check CHECK (state <> '') NOT VALID;
        CREATE TABLE members (org_id int, who text);
        CREATE TABLE parent (a int);
        CREATE TABLE child (a int);
        CREATE TABLE events (id int, k int) PARTITION BY RANGE (k);
        CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (0) TO (10);
        CREATE TABLE events_2 (id int, k int);
        CREATE VIEW runs_view AS SELECT * FROM runs;
        CREATE MATERIALIZED VIEW runs_mv AS SELECT id FROM runs;
        CREATE SEQUENCE seq;
        CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER runs_trg BEFORE INSERT ON runs FOR EACH ROW EXECUTE FUNCTION noop();
        CREATE POLICY runs_policy ON runs USING (true);
        CREATE RULE members_rule AS ON UPDATE TO members DO ALSO NOTHING;
        """;

    [Theory]
    [InlineData("CREATE TABLE t (id int, org_id int REFERENCES orgs (id))")]
    [InlineData("CREATE TABLE events_3 PARTITION OF events FOR VALUES FROM (20) TO (30)")]
    [InlineData("CREATE TABLE child2 (b int) INHERITS (parent)")]
    [InlineData("CREATE TABLE copy (LIKE runs INCLUDING ALL)")]
    [InlineData("CREATE TABLE t AS SELECT runs.*, orgs.name FROM runs JOIN orgs ON orgs.id = runs.org_id")]
    [InlineData("ALTER TABLE runs ADD COLUMN c int")]
    [InlineData("ALTER TABLE runs ADD COLUMN c int REFERENCES orgs (id)")]
    [InlineData("ALTER TABLE orgs DROP COLUMN name")]
    [InlineData("ALTER TABLE runs ALTER COLUMN state SET NOT NULL")]
    [InlineData("ALTER TABLE runs ALTER COLUMN state SET DEFAULT 'new'")]
    [InlineData("ALTER TABLE orgs ALTER COLUMN name TYPE varchar(100)")]
    [InlineData("ALTER TABLE runs ADD CONSTRAINT c CHECK (id > 0) NOT VALID")]
    [InlineData("ALTER TABLE runs ADD CONSTRAINT runs_state_key UNIQUE (state)")]
    [InlineData("ALTER TABLE members ADD CONSTRAINT members_org_fkey FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID")]
    [InlineData("ALTER TABLE runs VALIDATE CONSTRAINT runs_state_check")]
    [InlineData("ALTER TABLE runs VALIDATE CONSTRAINT runs_org_fkey")]
    [InlineData("ALTER TABLE runs DROP CONSTRAINT runs_state_check")]
    [InlineData("ALTER TABLE runs ALTER COLUMN state SET STATISTICS 500")]
    [InlineData("ALTER TABLE runs SET (fillfactor = 70, autovacuum_enabled = false)")]
    [InlineData("ALTER TABLE runs SET (user_catalog_table = true)")]
    [InlineData("ALTER TABLE runs CLUSTER ON runs_pkey")]
    [InlineData("ALTER TABLE runs DISABLE TRIGGER runs_trg")]
    [InlineData("ALTER TABLE runs ENABLE ROW LEVEL SECURITY")]
    [InlineData("ALTER TABLE runs OWNER TO postgres")]
    [InlineData("ALTER TABLE child INHERIT parent")]
    [InlineData("ALTER TABLE events ATTACH PARTITION events_2 FOR VALUES FROM (10) TO (20)")]
    [InlineData("ALTER TABLE events DETACH PARTITION events_1")]
    [InlineData("ALTER TABLE runs RENAME COLUMN payload TO body")]
    [InlineData("ALTER TABLE runs RENAME TO jobs")]
    [InlineData("ALTER INDEX runs_org_idx RENAME TO runs_org_id_idx")]
    [InlineData("ALTER INDEX runs_org_idx SET (fillfactor = 80)")]
    [InlineData("ALTER TABLE members SET SCHEMA archive")]
    [InlineData("CREATE INDEX runs_state_idx ON runs (state)")]
    [InlineData("DROP INDEX runs_org_idx")]
    [InlineData("REINDEX INDEX runs_org_idx")]
    [InlineData("REINDEX TABLE runs")]
    [InlineData("CREATE STATISTICS runs_stats ON org_id, state FROM runs")]
    [InlineData("DROP TABLE members")]
    [InlineData("DROP VIEW runs_view")]
    [InlineData("TRUNCATE members")]
    [InlineData("ANALYZE runs")]
    [InlineData("CLUSTER runs USING runs_pkey")]
    [InlineData("REFRESH MATERIALIZED VIEW runs_mv")]
    [InlineData("LOCK TABLE runs IN SHARE MODE")]
    [InlineData("LOCK TABLE runs")]
    [InlineData("CREATE TRIGGER t2 AFTER UPDATE ON runs FOR EACH ROW EXECUTE FUNCTION noop()")]
    [InlineData("DROP TRIGGER runs_trg ON runs")]
    [InlineData("CREATE RULE r AS ON DELETE TO orgs DO ALSO INSERT INTO members VALUES (old.id)")]
    [InlineData("CREATE POLICY p ON runs USING (org_id IN (SELECT org_id FROM members))")]
    [InlineData("DROP POLICY runs_policy ON runs")]
    [InlineData("COMMENT ON TABLE runs IS 'runs'")]
    [InlineData("COMMENT ON COLUMN runs.state IS 'state'")]
    [InlineData("CREATE OR REPLACE VIEW runs_view AS SELECT * FROM runs")]
    [InlineData("CREATE VIEW v AS SELECT * FROM runs JOIN members USING (org_id)")]
    [InlineData("SELECT * FROM runs JOIN orgs ON orgs.id = runs.org_id")]
    [InlineData("SELECT * FROM runs r JOIN orgs o ON o.id = r.org_id FOR UPDATE OF r")]
    [InlineData("INSERT INTO members SELECT id, name FROM orgs")]
    [InlineData("UPDATE runs SET state = 'x' FROM orgs WHERE orgs.id = runs.org_id AND runs.id IN (SELECT 1 FROM members)")]
    [InlineData("DELETE FROM runs USING orgs WHERE orgs.id = runs.org_id")]
    [InlineData("MERGE INTO parent p USING orgs o ON p.a = o.id WHEN NOT MATCHED THEN INSERT VALUES (o.id)")]
    [InlineData("WITH gone AS (DELETE FROM members RETURNING org_id) SELECT * FROM orgs WHERE id IN (SELECT org_id FROM gone)")]
    [InlineData("COPY members FROM '/dev/null'")]
    [InlineData("COPY members TO '/dev/null'")]
    [InlineData("ALTER SEQUENCE seq RESTART WITH 10")]
    [InlineData("ALTER SEQUENCE seq OWNED BY runs.id")]
    [InlineData("ALTER TABLE child INHERIT parent, NO INHERIT parent")]
    [InlineData("ALTER TABLE runs ALTER CONSTRAINT runs_org_fkey DEFERRABLE")]
    [InlineData("ALTER TABLE runs RENAME CONSTRAINT runs_state_check TO runs_state_nonempty")]
    [InlineData("ALTER TABLE runs REPLICA IDENTITY FULL")]
    [InlineData("ALTER TABLE runs ALTER COLUMN state SET (n_distinct = 10)")]
    [InlineData("ALTER TABLE runs SET (parallel_workers = 2, toast.autovacuum_enabled = false)")]
    [InlineData("ALTER TABLE members ENABLE RULE members_rule")]
    [InlineData("ALTER VIEW runs_view SET (security_barrier = true)")]
    [InlineData("ALTER TRIGGER runs_trg ON runs RENAME TO runs_trigger")]
    [InlineData("ALTER POLICY runs_policy ON runs USING (id > 0)")]
    [InlineData("CREATE CONSTRAINT TRIGGER ct AFTER INSERT ON runs FROM orgs FOR EACH ROW EXECUTE FUNCTION noop()")]
    [InlineData("COMMENT ON CONSTRAINT runs_org_fkey ON runs IS 'fk'")]
    [InlineData("COMMENT ON INDEX runs_org_idx IS 'by org'")]
    [InlineData("CREATE MATERIALIZED VIEW mv2 AS SELECT * FROM orgs WITH NO DATA")]
    [InlineData("SELECT * FROM runs FOR SHARE")]
    [InlineData("SELECT * FROM (SELECT * FROM runs) s, orgs FOR UPDATE OF s")]
    [InlineData("INSERT INTO orgs VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET name = (SELECT max(who) FROM members)")]
    [InlineData("EXPLAIN UPDATE runs SET state = 'x'")]
    [InlineData("COPY (SELECT * FROM runs JOIN orgs ON orgs.id = runs.org_id) TO '/dev/null'")]
    [InlineData("CREATE SEQUENCE seq2 OWNED BY runs.id")]
    [InlineData("LOCK TABLE runs, orgs IN ROW EXCLUSIVE MODE")]
    [InlineData("LOCK TABLE runs IN EXCLUSIVE MODE")]
    [InlineData("ALTER TABLE orgs ADD CONSTRAINT orgs_name_key UNIQUE USING INDEX orgs_name_idx")]
    [InlineData("ALTER TABLE runs_mv OWNER TO postgres")]
    [InlineData("ALTER MATERIALIZED VIEW runs_mv RENAME COLUMN id TO run_id")]
    [InlineData("DROP SEQUENCE seq")]
    [InlineData("DROP MATERIALIZED VIEW runs_mv")]
    [InlineData("TRUNCATE orgs CASCADE")]
    [InlineData("GRANT SELECT ON runs TO public")]
    public async Task Derived_lock_is_the_strongest_lock_PostgreSQL_holds_on_each_named_relation(string sql)
    {
        var tree = Assert.Single(SqlParser.Parse(sql).Statements).Tree!;
        var derived = StatementLocks.For(tree).ToDictionary(l => l.Relation.Name, l => l.Level);

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        // Relations that exist before the statement, by oid: a rename changes the name, not the oid.
        var existing = new Dictionary<string, uint>();
        foreach (var name in tree.Relations.Select(r => r.Name).Distinct())
        {
            if (await OidAsync(connection, name) is { } oid)
            {
                existing[name] = oid;
            }
        }
        var held = await PgLocks.HeldInTransactionAsync(connection, sql);

        foreach (var (name, oid) in existing)
        {
            Assert.True(held.GetValueOrDefault(oid) == derived.GetValueOrDefault(name),
                $"{name}: PostgreSQL holds {held.GetValueOrDefault(oid).ToSql()}, Stepwise says {derived.GetValueOrDefault(name).ToSql()}");
        }
    }

    [Theory]
    [InlineData("DROP TABLE runs CASCADE", "orgs", LockLevel.AccessExclusive)]
    [InlineData("ALTER TABLE runs DROP CONSTRAINT runs_org_fkey", "orgs", LockLevel.AccessExclusive)]
    [InlineData("ALTER TABLE runs VALIDATE CONSTRAINT runs_org_fkey", "orgs", LockLevel.RowShare)]
    [InlineData("DROP INDEX runs_org_idx", "runs", LockLevel.AccessExclusive)]
    [InlineData("REINDEX INDEX runs_org_idx", "runs", LockLevel.Share)]
    [InlineData("REINDEX TABLE runs", "runs_org_idx", LockLevel.AccessExclusive)]
    [InlineData("TRUNCATE orgs CASCADE", "runs", LockLevel.AccessExclusive)]
    [InlineData("CREATE TABLE events_default PARTITION OF events DEFAULT", "events", LockLevel.AccessExclusive)]
    [InlineData("INSERT INTO runs (id, org_id) VALUES (1, 1)", "orgs", LockLevel.RowShare)]
    public async Task Locks_the_reasons_mention_on_tables_the_statement_does_not_name(string sql, string relation, LockLevel level)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();

        var oid = await OidAsync(connection, relation);

        var held = await PgLocks.HeldInTransactionAsync(connection, sql);

        Assert.Equal(level, held.GetValueOrDefault(oid!.Value));
    }

    private static async Task<uint?> OidAsync(NpgsqlConnection connection, string name)
    {
        await using var command = new NpgsqlCommand("SELECT to_regclass(@name)::oid", connection);
        command.Parameters.AddWithValue("name", name);
        return await command.ExecuteScalarAsync() as uint?;
    }
}
