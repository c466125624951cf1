using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Tests.Planning;

/// <summary>
/// Expected locks are written "LEVEL on relation; LEVEL on relation" in the order the statement names
/// the relations; an empty string means no lock on a named relation. Levels follow PostgreSQL 15.
/// </summary>
public class StatementLocksTests
{
    private static IReadOnlyList<TableLock> For(string sql)
    {
        var script = SqlParser.Parse(sql);
        Assert.True(script.IsValid, string.Join("\n", script.Errors));
        return StatementLocks.For(Assert.Single(script.Statements).Tree!);
    }

    private static string Locks(string sql) => string.Join("; ", For(sql).Select(l => $"{l.Level.ToSql()} on {l.Relation}"));

    private static TableLock Lock(string sql, string relation) => Assert.Single(For(sql), l => l.Relation.ToString() == relation);

    [Theory]
    [InlineData("CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL)", "")]
    [InlineData("CREATE TABLE t (id int, org_id int REFERENCES orgs (id))", "SHARE ROW EXCLUSIVE on orgs")]
    [InlineData("CREATE TABLE t (a int, b int, FOREIGN KEY (a) REFERENCES app.x, CONSTRAINT fk FOREIGN KEY (b) REFERENCES y)", "SHARE ROW EXCLUSIVE on app.x; SHARE ROW EXCLUSIVE on y")]
    [InlineData("CREATE TABLE t (id int PRIMARY KEY, parent_id int REFERENCES t (id))", "")]
    [InlineData("CREATE TABLE runs_2024 PARTITION OF runs FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')", "ACCESS EXCLUSIVE on runs")]
    [InlineData("CREATE TABLE runs_default PARTITION OF runs DEFAULT", "ACCESS EXCLUSIVE on runs")]
    [InlineData("CREATE TABLE child (extra int) INHERITS (parent)", "SHARE UPDATE EXCLUSIVE on parent")]
    [InlineData("CREATE TABLE copy (LIKE source INCLUDING ALL)", "ACCESS SHARE on source")]
    [InlineData("CREATE FOREIGN TABLE ft PARTITION OF runs FOR VALUES IN (1) SERVER s", "ACCESS EXCLUSIVE on runs")]
    [InlineData("CREATE TABLE t AS SELECT * FROM source", "ACCESS SHARE on source")]
    [InlineData("CREATE MATERIALIZED VIEW mv AS SELECT * FROM source WITH NO DATA", "ACCESS SHARE on source")]
    [InlineData("SELECT * INTO t FROM source", "ACCESS SHARE on source")]
    public void Create_table_locks_only_the_tables_it_refers_to(string sql, string expected) =>
        Assert.Equal(expected, Locks(sql));

    [Theory]
    [InlineData("ALTER TABLE t ADD COLUMN c int", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t DROP COLUMN c", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ALTER COLUMN c SET NOT NULL", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ALTER COLUMN c DROP NOT NULL", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ALTER COLUMN c SET DEFAULT 0", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ALTER COLUMN c DROP DEFAULT", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ALTER COLUMN c TYPE bigint", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ALTER COLUMN c SET STORAGE EXTERNAL", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ALTER COLUMN c ADD GENERATED ALWAYS AS IDENTITY", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY (id)", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_id_idx", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a)", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ADD CONSTRAINT no_overlap EXCLUDE USING gist (r WITH &&)", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ALTER CONSTRAINT fk DEFERRABLE", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t DROP CONSTRAINT c", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t VALIDATE CONSTRAINT c", "SHARE UPDATE EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ALTER COLUMN c SET STATISTICS 500", "SHARE UPDATE EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ALTER COLUMN c SET (n_distinct = 100)", "SHARE UPDATE EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t SET (fillfactor = 70)", "SHARE UPDATE EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t SET (autovacuum_vacuum_scale_factor = 0.01, toast.autovacuum_enabled = false)", "SHARE UPDATE EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t SET (parallel_workers = 4)", "SHARE UPDATE EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t RESET (fillfactor)", "SHARE UPDATE EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t SET (fillfactor = 70, user_catalog_table = true)", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER VIEW v SET (security_barrier = true)", "ACCESS EXCLUSIVE on v")]
    [InlineData("ALTER INDEX i SET (fillfactor = 80)", "SHARE UPDATE EXCLUSIVE on i")]
    [InlineData("ALTER INDEX gin_idx SET (fastupdate = off)", "ACCESS EXCLUSIVE on gin_idx")]
    [InlineData("ALTER TABLE t CLUSTER ON t_pkey", "SHARE UPDATE EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t SET WITHOUT CLUSTER", "SHARE UPDATE EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ENABLE TRIGGER tr", "SHARE ROW EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t DISABLE TRIGGER ALL", "SHARE ROW EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ENABLE ALWAYS TRIGGER tr", "SHARE ROW EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ENABLE RULE r", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t ENABLE ROW LEVEL SECURITY", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t FORCE ROW LEVEL SECURITY", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t OWNER TO app", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t SET TABLESPACE fast", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t SET LOGGED", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t REPLICA IDENTITY FULL", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t INHERIT parent", "ACCESS EXCLUSIVE on t; SHARE UPDATE EXCLUSIVE on parent")]
    [InlineData("ALTER TABLE t NO INHERIT parent", "ACCESS EXCLUSIVE on t; ACCESS SHARE on parent")]
    [InlineData("ALTER TABLE t VALIDATE CONSTRAINT c, ENABLE TRIGGER tr", "SHARE ROW EXCLUSIVE on t")]
    [InlineData("ALTER INDEX i ALTER COLUMN 1 SET STATISTICS 100", "SHARE UPDATE EXCLUSIVE on i")]
    [InlineData("ALTER TABLE t ALTER COLUMN c SET STATISTICS 100, ADD COLUMN d int", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE IF EXISTS ONLY app.t ADD COLUMN c int", "ACCESS EXCLUSIVE on app.t")]
    [InlineData("ALTER TYPE pair ADD ATTRIBUTE c int", "")]
    public void Alter_table_takes_the_strongest_lock_of_its_sub_commands(string sql, string expected) =>
        Assert.Equal(expected, Locks(sql));

    [Theory]
    [InlineData("ALTER TABLE runs ADD CONSTRAINT runs_org_fkey FOREIGN KEY (org_id) REFERENCES orgs (id)", "SHARE ROW EXCLUSIVE on runs; SHARE ROW EXCLUSIVE on orgs")]
    [InlineData("ALTER TABLE runs ADD CONSTRAINT runs_org_fkey FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID", "SHARE ROW EXCLUSIVE on runs; SHARE ROW EXCLUSIVE on orgs")]
    [InlineData("ALTER TABLE runs ADD COLUMN org_id int REFERENCES orgs (id)", "ACCESS EXCLUSIVE on runs; SHARE ROW EXCLUSIVE on orgs")]
    [InlineData("ALTER TABLE nodes ADD FOREIGN KEY (parent_id) REFERENCES nodes (id)", "SHARE ROW EXCLUSIVE on nodes")]
    [InlineData("ALTER TABLE runs ADD COLUMN org_id int, ADD FOREIGN KEY (org_id) REFERENCES orgs NOT VALID", "ACCESS EXCLUSIVE on runs; SHARE ROW EXCLUSIVE on orgs")]
    public void Adding_a_foreign_key_locks_both_tables(string sql, string expected) =>
        Assert.Equal(expected, Locks(sql));

    [Theory]
    [InlineData("ALTER TABLE runs ATTACH PARTITION runs_2024 FOR VALUES FROM (1) TO (2)", "SHARE UPDATE EXCLUSIVE on runs; ACCESS EXCLUSIVE on runs_2024")]
    [InlineData("ALTER TABLE runs DETACH PARTITION runs_2024", "ACCESS EXCLUSIVE on runs; ACCESS EXCLUSIVE on runs_2024")]
    [InlineData("ALTER TABLE runs DETACH PARTITION runs_2024 CONCURRENTLY", "SHARE UPDATE EXCLUSIVE on runs; ACCESS EXCLUSIVE on runs_2024")]
    [InlineData("ALTER TABLE runs DETACH PARTITION runs_2024 FINALIZE", "SHARE UPDATE EXCLUSIVE on runs; ACCESS EXCLUSIVE on runs_2024")]
    [InlineData("ALTER INDEX runs_idx ATTACH PARTITION runs_2024_idx", "SHARE UPDATE EXCLUSIVE on runs_idx; ACCESS EXCLUSIVE on runs_2024_idx")]
    public void Partition_commands_lock_the_parent_and_the_partition(string sql, string expected) =>
        Assert.Equal(expected, Locks(sql));

    [Theory]
    [InlineData("ALTER TABLE t RENAME TO u", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t RENAME COLUMN a TO b", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t RENAME CONSTRAINT a TO b", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER VIEW v RENAME TO w", "ACCESS EXCLUSIVE on v")]
    [InlineData("ALTER MATERIALIZED VIEW mv RENAME COLUMN a TO b", "ACCESS EXCLUSIVE on mv")]
    [InlineData("ALTER SEQUENCE s RENAME TO s2", "ACCESS EXCLUSIVE on s")]
    [InlineData("ALTER INDEX i RENAME TO j", "SHARE UPDATE EXCLUSIVE on i")]
    [InlineData("ALTER TRIGGER tr ON t RENAME TO tr2", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER POLICY p ON t RENAME TO p2", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER TABLE t SET SCHEMA archive", "ACCESS EXCLUSIVE on t")]
    [InlineData("ALTER VIEW v SET SCHEMA archive", "ACCESS EXCLUSIVE on v")]
    [InlineData("ALTER FUNCTION f() RENAME TO g", "")]
    [InlineData("ALTER FUNCTION f() SET SCHEMA archive", "")]
    [InlineData("ALTER SCHEMA a RENAME TO b", "")]
    public void Rename_and_set_schema_lock_the_relation(string sql, string expected) =>
        Assert.Equal(expected, Locks(sql));

    [Theory]
    [InlineData("CREATE INDEX runs_org_idx ON runs (org_id)", "SHARE on runs")]
    [InlineData("CREATE UNIQUE INDEX IF NOT EXISTS runs_org_idx ON app.runs (org_id) WHERE deleted_at IS NULL", "SHARE on app.runs")]
    [InlineData("CREATE INDEX CONCURRENTLY runs_org_idx ON runs (org_id)", "SHARE UPDATE EXCLUSIVE on runs")]
    [InlineData("DROP INDEX runs_org_idx", "ACCESS EXCLUSIVE on runs_org_idx")]
    [InlineData("DROP INDEX CONCURRENTLY IF EXISTS app.runs_org_idx", "SHARE UPDATE EXCLUSIVE on app.runs_org_idx")]
    [InlineData("REINDEX INDEX runs_org_idx", "ACCESS EXCLUSIVE on runs_org_idx")]
    [InlineData("REINDEX INDEX CONCURRENTLY runs_org_idx", "SHARE UPDATE EXCLUSIVE on runs_org_idx")]
    [InlineData("REINDEX TABLE runs", "SHARE on runs")]
    [InlineData("REINDEX (CONCURRENTLY) TABLE runs", "SHARE UPDATE EXCLUSIVE on runs")]
    [InlineData("REINDEX (CONCURRENTLY false) TABLE runs", "SHARE on runs")]
    [InlineData("REINDEX SCHEMA app", "")]
    [InlineData("CREATE STATISTICS st ON a, b FROM runs", "SHARE UPDATE EXCLUSIVE on runs")]
    public void Index_commands(string sql, string expected) =>
        Assert.Equal(expected, Locks(sql));

    [Theory]
    [InlineData("DROP TABLE t", "ACCESS EXCLUSIVE on t")]
    [InlineData("DROP TABLE IF EXISTS a, app.b CASCADE", "ACCESS EXCLUSIVE on a; ACCESS EXCLUSIVE on app.b")]
    [InlineData("DROP VIEW v", "ACCESS EXCLUSIVE on v")]
    [InlineData("DROP MATERIALIZED VIEW mv", "ACCESS EXCLUSIVE on mv")]
    [InlineData("DROP SEQUENCE s", "ACCESS EXCLUSIVE on s")]
    [InlineData("DROP FOREIGN TABLE ft", "ACCESS EXCLUSIVE on ft")]
    [InlineData("DROP TRIGGER tr ON app.t", "ACCESS EXCLUSIVE on app.t")]
    [InlineData("DROP POLICY p ON t", "ACCESS EXCLUSIVE on t")]
    [InlineData("DROP RULE r ON t", "ACCESS EXCLUSIVE on t")]
    [InlineData("DROP FUNCTION f()", "")]
    [InlineData("DROP SCHEMA app CASCADE", "")]
    [InlineData("TRUNCATE t", "ACCESS EXCLUSIVE on t")]
    [InlineData("TRUNCATE TABLE a, b RESTART IDENTITY CASCADE", "ACCESS EXCLUSIVE on a; ACCESS EXCLUSIVE on b")]
    public void Drop_and_truncate_take_access_exclusive(string sql, string expected) =>
        Assert.Equal(expected, Locks(sql));

    [Theory]
    [InlineData("VACUUM t", "SHARE UPDATE EXCLUSIVE on t")]
    [InlineData("VACUUM (ANALYZE, VERBOSE) t (a), u", "SHARE UPDATE EXCLUSIVE on t; SHARE UPDATE EXCLUSIVE on u")]
    [InlineData("VACUUM FULL t", "ACCESS EXCLUSIVE on t")]
    [InlineData("VACUUM (FULL, ANALYZE) t", "ACCESS EXCLUSIVE on t")]
    [InlineData("VACUUM (FULL false) t", "SHARE UPDATE EXCLUSIVE on t")]
    [InlineData("VACUUM (FULL 0) t", "SHARE UPDATE EXCLUSIVE on t")]
    [InlineData("VACUUM (FULL on) t", "ACCESS EXCLUSIVE on t")]
    [InlineData("ANALYZE t", "SHARE UPDATE EXCLUSIVE on t")]
    [InlineData("VACUUM", "")]
    [InlineData("CLUSTER t USING t_pkey", "ACCESS EXCLUSIVE on t")]
    [InlineData("CLUSTER", "")]
    [InlineData("REFRESH MATERIALIZED VIEW mv", "ACCESS EXCLUSIVE on mv")]
    [InlineData("REFRESH MATERIALIZED VIEW CONCURRENTLY mv", "EXCLUSIVE on mv")]
    public void Maintenance_commands(string sql, string expected) =>
        Assert.Equal(expected, Locks(sql));

    [Theory]
    [InlineData("LOCK TABLE t", "ACCESS EXCLUSIVE on t")]
    [InlineData("LOCK t IN ACCESS SHARE MODE", "ACCESS SHARE on t")]
    [InlineData("LOCK t IN ROW SHARE MODE", "ROW SHARE on t")]
    [InlineData("LOCK t IN ROW EXCLUSIVE MODE", "ROW EXCLUSIVE on t")]
    [InlineData("LOCK t IN SHARE UPDATE EXCLUSIVE MODE", "SHARE UPDATE EXCLUSIVE on t")]
    [InlineData("LOCK t IN SHARE MODE", "SHARE on t")]
    [InlineData("LOCK t, app.u IN SHARE ROW EXCLUSIVE MODE NOWAIT", "SHARE ROW EXCLUSIVE on t; SHARE ROW EXCLUSIVE on app.u")]
    [InlineData("LOCK t IN EXCLUSIVE MODE", "EXCLUSIVE on t")]
    [InlineData("LOCK TABLE ONLY t IN ACCESS EXCLUSIVE MODE", "ACCESS EXCLUSIVE on t")]
    public void Lock_table_takes_the_mode_written(string sql, string expected) =>
        Assert.Equal(expected, Locks(sql));

    [Theory]
    [InlineData("CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", "SHARE ROW EXCLUSIVE on t")]
    [InlineData("CREATE OR REPLACE TRIGGER tr AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f()", "SHARE ROW EXCLUSIVE on t")]
    [InlineData("CREATE CONSTRAINT TRIGGER tr AFTER INSERT ON t FROM u FOR EACH ROW EXECUTE FUNCTION f()", "SHARE ROW EXCLUSIVE on t; ACCESS SHARE on u")]
    [InlineData("CREATE RULE r AS ON INSERT TO t DO INSTEAD INSERT INTO log VALUES (new.id)", "ACCESS EXCLUSIVE on t; ROW EXCLUSIVE on log")]
    [InlineData("CREATE RULE r AS ON UPDATE TO t DO INSTEAD NOTHING", "ACCESS EXCLUSIVE on t")]
    [InlineData("CREATE POLICY p ON t USING (owner = current_user)", "ACCESS EXCLUSIVE on t")]
    [InlineData("CREATE POLICY p ON t USING (org_id IN (SELECT org_id FROM members))", "ACCESS EXCLUSIVE on t; ACCESS SHARE on members")]
    [InlineData("ALTER POLICY p ON t USING (true)", "ACCESS EXCLUSIVE on t")]
    [InlineData("COMMENT ON TABLE t IS 'runs'", "SHARE UPDATE EXCLUSIVE on t")]
    [InlineData("COMMENT ON COLUMN app.t.c IS 'the c'", "SHARE UPDATE EXCLUSIVE on app.t")]
    [InlineData("COMMENT ON CONSTRAINT c ON t IS 'x'", "SHARE UPDATE EXCLUSIVE on t")]
    [InlineData("COMMENT ON TRIGGER tr ON t IS 'x'", "SHARE UPDATE EXCLUSIVE on t")]
    [InlineData("COMMENT ON INDEX i IS 'x'", "SHARE UPDATE EXCLUSIVE on i")]
    [InlineData("COMMENT ON MATERIALIZED VIEW mv IS 'x'", "SHARE UPDATE EXCLUSIVE on mv")]
    [InlineData("COMMENT ON FUNCTION f() IS 'x'", "")]
    [InlineData("COMMENT ON SCHEMA app IS 'x'", "")]
    [InlineData("SECURITY LABEL ON TABLE t IS 'secret'", "SHARE UPDATE EXCLUSIVE on t")]
    public void Triggers_rules_policies_and_comments(string sql, string expected) =>
        Assert.Equal(expected, Locks(sql));

    [Theory]
    [InlineData("CREATE VIEW v AS SELECT a FROM t JOIN u USING (id)", "ACCESS SHARE on t; ACCESS SHARE on u")]
    [InlineData("CREATE OR REPLACE VIEW v AS SELECT a FROM t", "ACCESS EXCLUSIVE on v; ACCESS SHARE on t")]
    [InlineData("CREATE VIEW v AS SELECT 1", "")]
    public void Views_lock_the_tables_their_query_reads(string sql, string expected) =>
        Assert.Equal(expected, Locks(sql));

    [Theory]
    [InlineData("SELECT * FROM t", "ACCESS SHARE on t")]
    [InlineData("SELECT 1 FROM a UNION ALL SELECT 1 FROM b", "ACCESS SHARE on a; ACCESS SHARE on b")]
    [InlineData("SELECT * FROM t WHERE id IN (SELECT t_id FROM u)", "ACCESS SHARE on t; ACCESS SHARE on u")]
    [InlineData("SELECT * FROM t TABLESAMPLE SYSTEM (1)", "ACCESS SHARE on t")]
    [InlineData("SELECT * FROM t FOR UPDATE", "ROW SHARE on t")]
    [InlineData("SELECT * FROM jobs FOR UPDATE SKIP LOCKED LIMIT 1", "ROW SHARE on jobs")]
    [InlineData("SELECT * FROM t FOR NO KEY UPDATE", "ROW SHARE on t")]
    [InlineData("SELECT * FROM t FOR SHARE", "ROW SHARE on t")]
    [InlineData("SELECT * FROM t FOR KEY SHARE", "ROW SHARE on t")]
    [InlineData("SELECT * FROM t a JOIN u b ON a.id = b.id FOR UPDATE OF a", "ROW SHARE on t; ACCESS SHARE on u")]
    [InlineData("SELECT * FROM t JOIN u ON t.id = u.id FOR UPDATE OF u", "ACCESS SHARE on t; ROW SHARE on u")]
    [InlineData("SELECT * FROM (SELECT * FROM t) s, u FOR UPDATE OF s", "ROW SHARE on t; ACCESS SHARE on u")]
    [InlineData("SELECT * FROM t WHERE id IN (SELECT t_id FROM u) FOR UPDATE", "ROW SHARE on t; ACCESS SHARE on u")]
    [InlineData("WITH recent AS (SELECT * FROM t) SELECT * FROM recent", "ACCESS SHARE on t")]
    [InlineData("SELECT 1", "")]
    [InlineData("VALUES (1), (2)", "")]
    public void Select_takes_access_share_and_row_share_for_locked_rows(string sql, string expected) =>
        Assert.Equal(expected, Locks(sql));

    [Theory]
    [InlineData("INSERT INTO t (a) VALUES (1)", "ROW EXCLUSIVE on t")]
    [InlineData("INSERT INTO t SELECT * FROM u", "ROW EXCLUSIVE on t; ACCESS SHARE on u")]
    [InlineData("INSERT INTO t SELECT * FROM t", "ROW EXCLUSIVE on t")]
    [InlineData("INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET a = excluded.a", "ROW EXCLUSIVE on t")]
    [InlineData("UPDATE t SET a = 1 WHERE id = 2", "ROW EXCLUSIVE on t")]
    [InlineData("UPDATE t SET a = o.a FROM o WHERE t.id = o.id AND o.z IN (SELECT z FROM q)", "ROW EXCLUSIVE on t; ACCESS SHARE on o; ACCESS SHARE on q")]
    [InlineData("UPDATE runs SET org_id = w.org_id FROM workflows w WHERE runs.workflow_id = w.id AND runs.id BETWEEN 1 AND 5000", "ROW EXCLUSIVE on runs; ACCESS SHARE on workflows")]
    [InlineData("DELETE FROM t WHERE id = 1", "ROW EXCLUSIVE on t")]
    [InlineData("DELETE FROM t USING u WHERE t.id = u.id", "ROW EXCLUSIVE on t; ACCESS SHARE on u")]
    [InlineData("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a WHEN NOT MATCHED THEN INSERT VALUES (s.id)", "ROW EXCLUSIVE on t; ACCESS SHARE on s")]
    [InlineData("WITH moved AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM moved", "ROW EXCLUSIVE on a; ROW EXCLUSIVE on b")]
    [InlineData("WITH batch AS (SELECT id FROM t WHERE a IS NULL LIMIT 100 FOR UPDATE) UPDATE t SET a = 0 FROM batch WHERE t.id = batch.id", "ROW EXCLUSIVE on t")]
    [InlineData("EXPLAIN ANALYZE UPDATE t SET a = 1", "ROW EXCLUSIVE on t")]
    [InlineData("EXPLAIN SELECT * FROM t", "ACCESS SHARE on t")]
    public void Data_changes_take_row_exclusive_on_the_target_and_access_share_on_what_they_read(string sql, string expected) =>
        Assert.Equal(expected, Locks(sql));

    [Theory]
    [InlineData("COPY t FROM STDIN", "ROW EXCLUSIVE on t")]
    [InlineData("COPY t (a, b) FROM '/tmp/data.csv' WITH (FORMAT csv)", "ROW EXCLUSIVE on t")]
    [InlineData("COPY t TO STDOUT", "ACCESS SHARE on t")]
    [InlineData("COPY (SELECT * FROM t JOIN u USING (id)) TO STDOUT", "ACCESS SHARE on t; ACCESS SHARE on u")]
    public void Copy_from_writes_and_copy_to_reads(string sql, string expected) =>
        Assert.Equal(expected, Locks(sql));

    [Theory]
    [InlineData("ALTER SEQUENCE s RESTART WITH 1000", "SHARE ROW EXCLUSIVE on s")]
    [InlineData("ALTER SEQUENCE s OWNED BY app.t.id", "SHARE ROW EXCLUSIVE on s; ACCESS SHARE on app.t")]
    [InlineData("ALTER SEQUENCE s OWNED BY NONE", "SHARE ROW EXCLUSIVE on s")]
    [InlineData("CREATE SEQUENCE s OWNED BY t.id", "ACCESS SHARE on t")]
    [InlineData("CREATE SEQUENCE s", "")]
    [InlineData("ALTER SEQUENCE s OWNER TO app", "ACCESS EXCLUSIVE on s")]
    public void Sequences(string sql, string expected) =>
        Assert.Equal(expected, Locks(sql));

    [Theory]
    [InlineData("GRANT SELECT, INSERT ON t, u TO app")]
    [InlineData("REVOKE ALL ON TABLE t FROM app")]
    [InlineData("GRANT USAGE ON SCHEMA app TO reader")]
    [InlineData("SET lock_timeout = '2s'")]
    [InlineData("BEGIN")]
    [InlineData("COMMIT")]
    [InlineData("CREATE SCHEMA app")]
    [InlineData("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'")]
    [InlineData("CREATE TYPE mood AS ENUM ('sad', 'ok')")]
    [InlineData("ALTER TYPE mood ADD VALUE 'happy'")]
    [InlineData("CREATE EXTENSION IF NOT EXISTS pgcrypto")]
    [InlineData("DO $$ BEGIN PERFORM 1; END $$")]
    [InlineData("CALL p()")]
    [InlineData("NOTIFY ch")]
    [InlineData("CREATE DATABASE d")]
    [InlineData("ALTER TABLE ALL IN TABLESPACE a SET TABLESPACE b")]
    public void Statements_that_lock_no_named_table_give_an_empty_list(string sql) =>
        Assert.Empty(For(sql));

    [Fact]
    public void A_relation_is_listed_once_with_the_reasons_that_need_its_strongest_lock()
    {
        var locks = For("ALTER TABLE t VALIDATE CONSTRAINT c, ADD COLUMN a int, ALTER COLUMN b SET DEFAULT 0, ENABLE TRIGGER tr");

        var only = Assert.Single(locks);
        Assert.Equal(LockLevel.AccessExclusive, only.Level);
        Assert.Equal("ALTER TABLE ... ADD COLUMN; ALTER TABLE ... ALTER COLUMN ... SET DEFAULT", only.Reason);
    }

    [Fact]
    public void Reasons_say_which_part_of_the_statement_takes_the_lock()
    {
        const string sql = "ALTER TABLE runs ADD CONSTRAINT runs_org_fkey FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID";

        Assert.Equal("ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY NOT VALID", Lock(sql, "runs").Reason);
        Assert.Equal("ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY (referenced table)", Lock(sql, "orgs").Reason);
        Assert.Equal("ALTER TABLE ... VALIDATE CONSTRAINT (of a foreign key: ROW SHARE on the table it references too)", Lock("ALTER TABLE runs VALIDATE CONSTRAINT runs_org_fkey", "runs").Reason);
        Assert.Equal("ALTER INDEX ... SET (fillfactor)", Lock("ALTER INDEX i SET (fillfactor = 80)", "i").Reason);
        Assert.Equal("CREATE INDEX CONCURRENTLY", Lock("CREATE INDEX CONCURRENTLY i ON runs (a)", "runs").Reason);
        Assert.Equal("UPDATE (target table)", Lock("UPDATE t SET a = u.a FROM u", "t").Reason);
        Assert.Equal("UPDATE (table read)", Lock("UPDATE t SET a = u.a FROM u", "u").Reason);
        Assert.Equal("SELECT ... FOR NO KEY UPDATE (rows locked)", Lock("SELECT * FROM t FOR NO KEY UPDATE", "t").Reason);
        Assert.Equal("CREATE RULE ... INSERT (target table)", Lock("CREATE RULE r AS ON DELETE TO t DO ALSO INSERT INTO log VALUES (old.id)", "log").Reason);
        Assert.Equal("LOCK TABLE ... IN SHARE MODE", Lock("LOCK t IN SHARE MODE", "t").Reason);
    }

    [Fact]
    public void Reasons_mention_locks_on_tables_the_statement_does_not_name()
    {
        Assert.Contains("its table too", Lock("DROP INDEX i", "i").Reason, StringComparison.Ordinal);
        Assert.Contains("tables its foreign keys reference", Lock("DROP TABLE t", "t").Reason, StringComparison.Ordinal);
        Assert.Contains("every table with a foreign key to it", Lock("TRUNCATE t CASCADE", "t").Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("foreign key", Lock("TRUNCATE t", "t").Reason, StringComparison.Ordinal);
        Assert.Contains("default partition", Lock("CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1)", "p").Reason, StringComparison.Ordinal);
        Assert.Contains("its table gets SHARE", Lock("REINDEX INDEX i", "i").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Table_lock_prints_level_relation_and_reason() =>
        Assert.Equal("ACCESS EXCLUSIVE on app.t (ALTER TABLE ... ADD COLUMN)", Lock("ALTER TABLE app.t ADD COLUMN c int", "app.t").ToString());

    [Fact]
    public void Never_returns_None_and_never_throws_for_any_statement_the_parser_accepts()
    {
        var script = SqlParser.Parse("""
            CREATE TABLE a (id int); CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f();
            ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0); ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO r;
            CREATE PUBLICATION pub FOR TABLE t; ALTER SUBSCRIPTION s REFRESH PUBLICATION; IMPORT FOREIGN SCHEMA s FROM SERVER x INTO y;
            CREATE TRANSFORM FOR int LANGUAGE plpgsql (FROM SQL WITH FUNCTION f(internal)); DISCARD ALL; CHECKPOINT; LOAD 'x';
            DECLARE c CURSOR FOR SELECT * FROM t FOR UPDATE; FETCH c; CLOSE c; PREPARE p AS DELETE FROM t; EXECUTE p; DEALLOCATE p;
            ALTER TABLE t ALTER COLUMN c SET COMPRESSION lz4, ALTER COLUMN c DROP EXPRESSION, ALTER COLUMN c OPTIONS (SET x 'y');
            """);
        Assert.True(script.IsValid, string.Join("\n", script.Errors));

        foreach (var statement in script.Statements)
        {
            Assert.All(StatementLocks.For(statement.Tree!), l => Assert.NotEqual(LockLevel.None, l.Level));
        }
    }
}
