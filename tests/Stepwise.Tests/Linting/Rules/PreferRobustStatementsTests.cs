using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class PreferRobustStatementsTests
{
    [Theory]
    [InlineData("CREATE TABLE workflow_runs (id bigint);", "write CREATE TABLE IF NOT EXISTS")]
    [InlineData("CREATE MATERIALIZED VIEW daily AS SELECT 1;", "write CREATE MATERIALIZED VIEW IF NOT EXISTS")]
    [InlineData("CREATE TABLE archived_runs AS SELECT * FROM workflow_runs WHERE false;", "write CREATE TABLE IF NOT EXISTS ... AS")]
    [InlineData("CREATE SEQUENCE run_seq;", "write CREATE SEQUENCE IF NOT EXISTS")]
    [InlineData("CREATE SCHEMA app;", "write CREATE SCHEMA IF NOT EXISTS")]
    [InlineData("CREATE EXTENSION pgcrypto;", "write CREATE EXTENSION IF NOT EXISTS")]
    [InlineData("CREATE VIEW v AS SELECT 1;", "write CREATE OR REPLACE VIEW")]
    [InlineData("CREATE PROCEDURE p() LANGUAGE sql AS 'SELECT 1';", "write CREATE OR REPLACE PROCEDURE")]
    [InlineData("CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();", "write CREATE OR REPLACE TRIGGER")]
    [InlineData("CREATE INDEX workflow_runs_org_idx ON workflow_runs (organization_id);", "write CREATE INDEX IF NOT EXISTS")]
    [InlineData("CREATE INDEX ON workflow_runs (organization_id);", "an unnamed index is built again under a new name")]
    [InlineData("DROP TABLE workflow_runs;", "write DROP TABLE IF EXISTS")]
    [InlineData("DROP TRIGGER tr ON workflow_runs;", "write DROP TRIGGER IF EXISTS")]
    [InlineData("DROP INDEX CONCURRENTLY workflow_runs_org_idx;", "write DROP INDEX CONCURRENTLY IF EXISTS")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN note text;", "ADD COLUMN note fails once the column exists — write ADD COLUMN IF NOT EXISTS")]
    [InlineData("ALTER TABLE workflow_runs DROP COLUMN note;", "DROP COLUMN note fails once the column is gone — write DROP COLUMN IF EXISTS")]
    [InlineData("ALTER TABLE workflow_runs DROP CONSTRAINT note_length;", "write DROP CONSTRAINT IF EXISTS")]
    [InlineData("ALTER TABLE workflow_runs ADD CONSTRAINT note_length CHECK (char_length(note) < 100) NOT VALID;", "drop it first with DROP CONSTRAINT IF EXISTS note_length")]
    [InlineData("ALTER TABLE workflow_runs ADD CHECK (char_length(note) < 100);", "an unnamed constraint is added a second time")]
    [InlineData("ALTER TYPE run_status ADD VALUE 'paused' AFTER 'running';", "ADD VALUE 'paused' fails once the value exists — write ADD VALUE IF NOT EXISTS")]
    public void Flags_autocommit_statements_in_plain_sql_that_fail_when_run_again(string sql, string expected)
    {
        var finding = LintAssert.Flags<PreferRobustStatements>(sql);

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Contains("runs outside a transaction and is not safe to run again after a failure: ", finding.Message);
        Assert.Contains(expected, finding.Message);
    }

    [Theory]
    [InlineData("CREATE INDEX CONCURRENTLY workflow_runs_org_idx ON workflow_runs (organization_id);", "fails once the index exists, valid or INVALID")]
    [InlineData("CREATE INDEX CONCURRENTLY IF NOT EXISTS workflow_runs_org_idx ON workflow_runs (organization_id);", "IF NOT EXISTS keeps an INVALID index")]
    public void A_concurrent_build_in_plain_sql_needs_a_drop_of_its_invalid_leftover_first(string sql, string expected)
    {
        var finding = LintAssert.Flags<PreferRobustStatements>(sql);

        Assert.Contains(expected, finding.Message);
        Assert.Contains("write DROP INDEX CONCURRENTLY IF EXISTS workflow_runs_org_idx before it", finding.Message);
    }

    [Theory]
    [InlineData("CREATE TABLE app.workflow_runs (id bigint);", "CREATE TABLE app.workflow_runs runs outside")]
    [InlineData("CREATE INDEX workflow_runs_org_idx ON workflow_runs (organization_id);", "CREATE INDEX workflow_runs_org_idx ON workflow_runs runs outside")]
    [InlineData("CREATE INDEX ON workflow_runs (organization_id);", "CREATE INDEX ON workflow_runs runs outside")]
    [InlineData("DROP TABLE app.a, b;", "DROP TABLE app.a, b runs outside")]
    [InlineData("CREATE EXTENSION pgcrypto;", "CREATE EXTENSION pgcrypto runs outside")]
    public void Names_what_the_statement_acts_on(string sql, string expected)
    {
        Assert.StartsWith(expected, LintAssert.Flags<PreferRobustStatements>(sql).Message);
    }

    [Fact]
    public void Lists_every_problem_of_an_alter_table_in_one_finding()
    {
        var finding = LintAssert.Flags<PreferRobustStatements>("ALTER TABLE t ADD COLUMN a int, DROP COLUMN b;");

        Assert.Contains("ADD COLUMN a fails once the column exists — write ADD COLUMN IF NOT EXISTS; DROP COLUMN b fails", finding.Message);
    }

    [Theory]
    [InlineData("CREATE TABLE IF NOT EXISTS workflow_runs (id bigint);")]
    [InlineData("CREATE OR REPLACE VIEW v AS SELECT 1;")]
    [InlineData("CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';")]
    [InlineData("CREATE INDEX IF NOT EXISTS workflow_runs_org_idx ON workflow_runs (organization_id);")]
    [InlineData("DROP INDEX CONCURRENTLY IF EXISTS workflow_runs_org_idx;\nCREATE INDEX CONCURRENTLY workflow_runs_org_idx ON workflow_runs (organization_id);")]
    [InlineData("DROP INDEX IF EXISTS app.workflow_runs_org_idx;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS workflow_runs_org_idx ON app.workflow_runs (organization_id);")]
    [InlineData("DROP TABLE IF EXISTS workflow_runs;")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN IF NOT EXISTS note text, DROP COLUMN IF EXISTS old_note;")]
    [InlineData("ALTER TABLE workflow_runs DROP CONSTRAINT IF EXISTS note_length, ADD CONSTRAINT note_length CHECK (char_length(note) < 100) NOT VALID;")]
    [InlineData("ALTER TABLE workflow_runs DROP CONSTRAINT IF EXISTS note_length;\nALTER TABLE workflow_runs ADD CONSTRAINT note_length CHECK (char_length(note) < 100) NOT VALID;")]
    [InlineData("ALTER TABLE workflow_runs ALTER COLUMN note SET NOT NULL, ALTER COLUMN note SET DEFAULT '';")]
    [InlineData("ALTER TABLE workflow_runs VALIDATE CONSTRAINT note_length;")]
    [InlineData("UPDATE workflow_runs SET note = '' WHERE note IS NULL;")]
    [InlineData("CREATE TYPE run_status AS ENUM ('running');")]
    [InlineData("ALTER TYPE run_status ADD VALUE IF NOT EXISTS 'paused' AFTER 'running';")]
    [InlineData("ALTER TYPE run_status RENAME VALUE 'paused' TO 'suspended';")]
    public void Passes_statements_that_can_run_again(string sql)
    {
        LintAssert.Passes<PreferRobustStatements>(sql);
    }

    [Theory]
    [InlineData("BEGIN;\nCREATE TABLE workflow_runs (id bigint);\nALTER TABLE workflow_runs ADD COLUMN note text;\nCOMMIT;\n")]
    [InlineData("DO $$ BEGIN CREATE TABLE workflow_runs (id bigint); END $$;")]
    public void Passes_statements_inside_a_transaction(string sql)
    {
        LintAssert.Passes<PreferRobustStatements>(sql);
    }

    [Fact]
    public void Passes_plain_sql_assumed_to_run_in_one_transaction()
    {
        LintAssert.Passes<PreferRobustStatements>("CREATE TABLE workflow_runs (id bigint);", new LintOptions { AssumeInTransaction = true });
    }

    [Theory]
    [InlineData("-- stepwise:up\nCREATE TABLE workflow_runs (id bigint);\nALTER TABLE workflow_runs ADD COLUMN note text;\n")]
    [InlineData("-- stepwise:up\n-- stepwise:no-transaction\nCREATE TABLE workflow_runs (id bigint);\nDROP TABLE old_runs;\n")]
    [InlineData("-- stepwise:up\nCREATE INDEX CONCURRENTLY workflow_runs_org_idx ON workflow_runs (organization_id);\n")]
    public void Stepwise_migrations_pass_what_commits_with_its_progress_record_and_named_concurrent_builds(string sql)
    {
        LintAssert.Passes<PreferRobustStatements>(sql);
    }

    [Theory]
    [InlineData("-- stepwise:up\nCREATE INDEX CONCURRENTLY ON workflow_runs (organization_id);\n", "an unnamed index is built again under a new name")]
    [InlineData("-- stepwise:up\nDROP INDEX CONCURRENTLY workflow_runs_org_idx;\n", "write DROP INDEX CONCURRENTLY IF EXISTS")]
    public void Stepwise_migrations_flag_what_is_run_again_on_resume_and_stepwise_cannot_repair(string sql, string expected)
    {
        var finding = LintAssert.Flags<PreferRobustStatements>(sql);

        Assert.Contains("is run again when Stepwise resumes after an interruption", finding.Message);
        Assert.Contains(expected, finding.Message);
    }
}
