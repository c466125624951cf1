using Stepwise.Sql;

namespace Stepwise.Tests.Sql;

public class TreeTests
{
    private static StatementTree Tree(string sql)
    {
        var script = SqlParser.Parse(sql);
        Assert.True(script.IsValid, string.Join("\n", script.Errors));
        return Assert.Single(script.Statements).Tree!;
    }

    [Fact]
    public void Create_index_exposes_its_options()
    {
        var index = Tree("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS runs_org_idx ON app.workflow_runs USING btree (organization_id, created_at DESC) WHERE deleted_at IS NULL").Index!.Value;

        Assert.True(index.Concurrent);
        Assert.True(index.Unique);
        Assert.True(index.IfNotExists);
        Assert.True(index.IsPartial);
        Assert.Equal("runs_org_idx", index.Name);
        Assert.Equal(new RelationName("app", "workflow_runs"), index.Table);
        Assert.Equal(["organization_id", "created_at"], index.Columns);
    }

    [Fact]
    public void Plain_create_index_is_not_concurrent()
    {
        var tree = Tree("CREATE INDEX ON t (a)");

        Assert.False(tree.Index!.Value.Concurrent);
        Assert.Null(tree.Index!.Value.Name);
        Assert.False(tree.CannotRunInTransaction);
    }

    [Fact]
    public void Alter_table_lists_sub_commands_and_constraint_validation()
    {
        var tree = Tree("""
            ALTER TABLE workflow_runs
              ADD COLUMN organization_id uuid,
              ADD CONSTRAINT runs_org_fkey FOREIGN KEY (organization_id) REFERENCES organizations (id) NOT VALID,
              ALTER COLUMN state SET NOT NULL,
              DROP COLUMN IF EXISTS legacy CASCADE
            """);

        Assert.Equal("ALTER TABLE", tree.CommandTag);
        Assert.Equal(new RelationName(null, "workflow_runs"), tree.Target);
        Assert.Equal(["AT_AddColumn", "AT_AddConstraint", "AT_SetNotNull", "AT_DropColumn"], tree.AlterTableCommands.Select(c => c.Subtype));
        Assert.Equal("ColumnDef", tree.AlterTableCommands[0].Definition.Kind);
        Assert.Equal("organization_id", tree.AlterTableCommands[0].Definition.String("colname"));
        Assert.Equal("state", tree.AlterTableCommands[2].Name);
        Assert.True(tree.AlterTableCommands[3].MissingOk);
        Assert.True(tree.AlterTableCommands[3].Cascade);

        var fk = Assert.Single(tree.Constraints);
        Assert.Equal("CONSTR_FOREIGN", fk.Type);
        Assert.Equal("runs_org_fkey", fk.Name);
        Assert.True(fk.SkipValidation);
        Assert.Equal(new RelationName(null, "organizations"), fk.ReferencedTable);
        Assert.Equal(["workflow_runs", "organizations"], tree.Relations.Select(r => r.Name));
    }

    [Fact]
    public void Validated_check_constraint_has_no_skip_validation()
    {
        var tree = Tree("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)");

        var check = Assert.Single(tree.Constraints);
        Assert.Equal("CONSTR_CHECK", check.Type);
        Assert.False(check.SkipValidation);
    }

    [Fact]
    public void Primary_key_using_index_names_the_index()
    {
        var pk = Assert.Single(Tree("ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_id_idx").Constraints);

        Assert.Equal("CONSTR_PRIMARY", pk.Type);
        Assert.Equal("t_id_idx", pk.UsingIndex);
    }

    [Theory]
    [InlineData("CREATE INDEX CONCURRENTLY i ON t (a)", true)]
    [InlineData("DROP INDEX CONCURRENTLY i", true)]
    [InlineData("REINDEX (CONCURRENTLY) INDEX i", true)]
    [InlineData("REINDEX INDEX CONCURRENTLY i", true)]
    [InlineData("REINDEX (CONCURRENTLY false) INDEX i", false)]
    [InlineData("ALTER TABLE p DETACH PARTITION c CONCURRENTLY", true)]
    [InlineData("VACUUM t", true)]
    [InlineData("CREATE DATABASE d", true)]
    [InlineData("ANALYZE t", false)]
    [InlineData("ALTER TYPE e ADD VALUE 'x'", false)]
    [InlineData("DROP INDEX i", false)]
    [InlineData("ALTER TABLE p DETACH PARTITION c", false)]
    public void Knows_which_statements_cannot_run_in_a_transaction(string sql, bool expected)
    {
        Assert.Equal(expected, Tree(sql).CannotRunInTransaction);
    }

    [Theory]
    [InlineData("DO $$ BEGIN PERFORM 1; COMMIT; END $$", true)]
    [InlineData("DO $$ BEGIN LOOP UPDATE t SET a = 1 WHERE a IS NULL; EXIT WHEN NOT FOUND; COMMIT; END LOOP; END $$", true)]
    [InlineData("DO $$ BEGIN IF true THEN ROLLBACK; END IF; END $$", true)]
    [InlineData("DO $$ BEGIN PERFORM 1; END $$", false)]
    [InlineData("DO $$ BEGIN RAISE NOTICE 'COMMIT'; END $$", false)]
    [InlineData("DO LANGUAGE sql $$ SELECT 1 $$", false)]
    [InlineData("CALL p()", true)]
    [InlineData("SELECT 1", false)]
    public void Knows_which_statements_end_transactions_themselves(string sql, bool expected)
    {
        var tree = Tree(sql);
        Assert.Equal(expected, tree.EndsTransactions);
        Assert.Equal(expected, tree.RunsOutsideTransaction);
        Assert.False(tree.CannotRunInTransaction);
    }

    [Theory]
    [InlineData("CREATE TABLE t (id bigint)", "CREATE TABLE")]
    [InlineData("DROP TABLE t", "DROP TABLE")]
    [InlineData("DROP INDEX CONCURRENTLY i", "DROP INDEX")]
    [InlineData("ALTER INDEX i RENAME TO j", "ALTER INDEX")]
    [InlineData("ALTER TABLE t RENAME COLUMN a TO b", "ALTER COLUMN")]
    [InlineData("CREATE MATERIALIZED VIEW v AS SELECT 1", "CREATE MATERIALIZED VIEW")]
    [InlineData("CREATE OR REPLACE VIEW v AS SELECT 1", "CREATE OR REPLACE VIEW")]
    [InlineData("BEGIN", "BEGIN")]
    [InlineData("COMMIT", "COMMIT")]
    [InlineData("SET lock_timeout = '5s'", "SET")]
    [InlineData("TRUNCATE t", "TRUNCATE TABLE")]
    [InlineData("CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f()", "CREATE EVENT TRIG")]
    public void Command_tags_read_like_postgres(string sql, string tag)
    {
        Assert.Equal(tag, Tree(sql).CommandTag);
    }

    [Fact]
    public void Update_target_and_subquery_relations_are_found()
    {
        var tree = Tree("UPDATE workflow_runs r SET organization_id = (SELECT w.organization_id FROM public.workflows w WHERE w.id = r.workflow_id)");

        Assert.Equal(new RelationName(null, "workflow_runs"), tree.Target);
        Assert.Contains(new RelationName("public", "workflows"), tree.Relations);
    }
}
