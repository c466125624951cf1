using Npgsql;
using Stepwise.Catalog;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Catalog;

public class CatalogReaderTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const string Schema = """
        CREATE EXTENSION IF NOT EXISTS pgcrypto;
        CREATE SCHEMA app;
        CREATE TYPE app.run_state AS ENUM ('queued', 'running', 'done');
        CREATE TABLE app.organizations (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL COLLATE "C");
        CREATE TABLE app.workflow_runs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            organization_id uuid,
            state app.run_state NOT NULL DEFAULT 'queued',
            cost numeric(10, 2),
            free boolean GENERATED ALWAYS AS (cost = 0) STORED
        );
        ALTER TABLE app.workflow_runs ADD CONSTRAINT cost_positive CHECK (cost >= 0) NOT VALID;
        ALTER TABLE app.workflow_runs ADD CONSTRAINT runs_org_fkey FOREIGN KEY (organization_id) REFERENCES app.organizations (id) NOT VALID;
        CREATE INDEX runs_org_idx ON app.workflow_runs (organization_id) WHERE state <> 'done';
        CREATE VIEW app.open_runs AS SELECT id, state FROM app.workflow_runs WHERE state <> 'done';
        CREATE MATERIALIZED VIEW app.run_counts AS SELECT state, count(*) AS n FROM app.workflow_runs GROUP BY state;
        CREATE SEQUENCE app.ticket_seq INCREMENT 5;
        CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER runs_touch BEFORE UPDATE ON app.workflow_runs FOR EACH ROW EXECUTE FUNCTION app.touch();
        COMMENT ON COLUMN app.workflow_runs.cost IS 'in euros';
        CREATE DOMAIN app.positive AS integer NOT NULL DEFAULT 1 CONSTRAINT positive_check CHECK (VALUE > 0);
        CREATE TYPE app.money_amount AS (amount numeric(12,2), currency char(3) COLLATE "C");
        CREATE TABLE app.ledger (id serial PRIMARY KEY, qty app.positive, total app.money_amount, org uuid REFERENCES app.organizations ON DELETE CASCADE DEFERRABLE);
        CREATE TABLE app.events (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);
        CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        CREATE INDEX events_at_idx ON app.events (at);
        CREATE UNLOGGED TABLE app.scratch (k text UNIQUE);
        ALTER TABLE app.organizations ENABLE ROW LEVEL SECURITY;
        ALTER TABLE app.organizations FORCE ROW LEVEL SECURITY;
        CREATE POLICY org_read ON app.organizations AS RESTRICTIVE FOR SELECT TO PUBLIC USING (name <> '');
        CREATE FUNCTION app.total(n int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT n * 2';
        CREATE PROCEDURE app.purge() LANGUAGE sql AS $$ DELETE FROM app.scratch $$;
        COMMENT ON SCHEMA app IS 'application';
        COMMENT ON TABLE app.organizations IS 'tenants';
        COMMENT ON INDEX app.runs_org_idx IS 'open runs';
        COMMENT ON VIEW app.open_runs IS 'runs not done';
        COMMENT ON MATERIALIZED VIEW app.run_counts IS 'per state';
        COMMENT ON FUNCTION app.touch() IS 'keeps rows fresh';
        COMMENT ON TYPE app.run_state IS 'run states';
        COMMENT ON TYPE app.money_amount IS 'an amount';
        COMMENT ON DOMAIN app.positive IS 'above zero';
        COMMENT ON CONSTRAINT cost_positive ON app.workflow_runs IS 'no refunds';
        COMMENT ON TRIGGER runs_touch ON app.workflow_runs IS 'on update';
        COMMENT ON SEQUENCE app.ticket_seq IS 'tickets';
        CREATE SCHEMA stepwise; CREATE TABLE stepwise.migrations (version bigint);
        """;

    private async Task<(MigrationWorkspace Workspace, SchemaModel Model)> Inspect()
    {
        var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync(Schema);
        return (ws, await CatalogReader.ReadAsync(ws.ConnectionString));
    }

    [Fact]
    public async Task Every_object_kind_comes_back_as_created()
    {
        var (ws, model) = await Inspect();
        await using var _ = ws;

        Assert.Equal(["app", "public"], model.Schemas.Select(s => s.Name));
        Assert.Contains(model.Extensions, e => e.Name == "pgcrypto");
        var runs = model.Tables.Single(t => t.QualifiedName == "app.workflow_runs");
        Assert.Equal(["id", "organization_id", "state", "cost", "free"], runs.Columns.Select(c => c.Name));
        Assert.Equal("always", runs.Columns[0].Identity);
        Assert.Equal(("app.run_state", true, "'queued'::app.run_state"), (runs.Columns[2].Type, runs.Columns[2].NotNull, runs.Columns[2].Default));
        Assert.Equal(("numeric(10,2)", "in euros"), (runs.Columns[3].Type, runs.Columns[3].Comment));
        Assert.Equal("(cost = (0)::numeric)", runs.Columns[4].Generated);
        Assert.Equal("C", model.Tables.Single(t => t.Name == "organizations").Columns[1].Collation);
        var fk = runs.Constraints.Single(c => c.Name == "runs_org_fkey");
        Assert.Equal(("foreign key", false), (fk.Type, fk.Validated));
        Assert.Contains("REFERENCES app.organizations(id)", fk.Definition);
        Assert.False(runs.Constraints.Single(c => c.Name == "cost_positive").Validated);
        var index = model.Indexes.Single(i => i.Name == "runs_org_idx");
        Assert.Contains("WHERE (state <> 'done'::app.run_state)", index.Definition);
        Assert.True(index.Valid);
        Assert.Equal([false, true], model.Views.Select(v => v.Materialized));
        Assert.Equal(5, model.Sequences.Single(s => s.Name == "ticket_seq").Increment);
        Assert.Equal(["queued", "running", "done"], model.Enums.Single().Labels);
        Assert.Equal(["purge()", "total(n integer)", "touch()"], model.Functions.Where(f => f.Schema == "app").Select(f => f.Signature));
        Assert.Contains("BEFORE UPDATE ON app.workflow_runs", model.Triggers.Single().Definition);
        Assert.DoesNotContain(model.Tables, t => t.Schema == "stepwise");
        Assert.DoesNotContain(model.Functions, f => f.Schema == "public" && f.Signature.StartsWith("gen_random_uuid", StringComparison.Ordinal)); // extension members are the extension's
        Assert.Equal("application", model.Schemas.Single(s => s.Name == "app").Comment);
    }

    [Fact]
    public async Task Domains_composite_types_partitions_policies_and_comments_come_back_as_created()
    {
        var (ws, model) = await Inspect();
        await using var _ = ws;

        var domain = model.Domains.Single();
        Assert.Equal(("positive", "integer", true, "1", "above zero"), (domain.Name, domain.Type, domain.NotNull, domain.Default, domain.Comment));
        Assert.Equal(("positive_check", "CHECK ((VALUE > 0))", true), (domain.Constraints.Single().Name, domain.Constraints.Single().Definition, domain.Constraints.Single().Validated));
        var composite = model.CompositeTypes.Single();
        Assert.Equal("amount numeric(12,2), currency character(3) COLLATE C", Stepwise.Catalog.SchemaDiff.Attributes(composite));
        Assert.Equal("an amount", composite.Comment);
        var ledger = model.Tables.Single(t => t.Name == "ledger");
        Assert.Equal(["integer", "app.positive", "app.money_amount", "uuid"], ledger.Columns.Select(c => c.Type));
        Assert.Equal("nextval('app.ledger_id_seq'::regclass)", ledger.Columns[0].Default);
        var fk = ledger.Constraints.Single(k => k.Type == "foreign key");
        Assert.Equal(("FOREIGN KEY (org) REFERENCES app.organizations(id) ON DELETE CASCADE DEFERRABLE", true, false), (fk.Definition, fk.Deferrable, fk.InitiallyDeferred));
        Assert.Equal("ledger.id", model.Sequences.Single(s => s.Name == "ledger_id_seq").OwnedBy);
        var events = model.Tables.Single(t => t.Name == "events");
        Assert.Equal(("partitioned", "RANGE (at)"), (events.Kind, events.PartitionKey));
        var partition = model.Tables.Single(t => t.Name == "events_2026");
        Assert.Equal("app.events", partition.PartitionOf);
        Assert.StartsWith("FOR VALUES FROM ('2026-01-01", partition.PartitionBound, StringComparison.Ordinal);
        Assert.True(model.Indexes.Single(i => i.Table == "events_2026").Inherited);
        Assert.False(model.Indexes.Single(i => i.Name == "events_at_idx").Inherited);
        Assert.True(model.Tables.Single(t => t.Name == "scratch").Unlogged);
        Assert.Equal("scratch_k_key", model.Indexes.Single(i => i.Table == "scratch").Constraint);
        var organizations = model.Tables.Single(t => t.Name == "organizations");
        Assert.Equal((true, true, "tenants"), (organizations.RowSecurity, organizations.ForceRowSecurity, organizations.Comment));
        var policy = model.Policies.Single();
        Assert.Equal(("org_read", "SELECT", false, "public", "(name <> ''::text)"), (policy.Name, policy.Command, policy.Permissive, policy.Roles.Single(), policy.Using));
        Assert.Null(policy.WithCheck);
        var total = model.Functions.Single(f => f.Signature == "total(n integer)");
        Assert.Equal(("immutable", "sql", "integer"), (total.Volatility, total.Language, total.Returns));
        Assert.StartsWith("CREATE OR REPLACE FUNCTION app.total(n integer)", total.Definition, StringComparison.Ordinal);
        Assert.Equal("procedure", model.Functions.Single(f => f.Signature == "purge()").Kind);
        Assert.Equal("keeps rows fresh", model.Functions.Single(f => f.Signature == "touch()").Comment);
        Assert.Equal("open runs", model.Indexes.Single(i => i.Name == "runs_org_idx").Comment);
        Assert.Equal(["runs not done", "per state"], model.Views.Select(v => v.Comment));
        Assert.Equal("run states", model.Enums.Single().Comment);
        Assert.Equal("no refunds", model.Tables.Single(t => t.Name == "workflow_runs").Constraints.Single(k => k.Name == "cost_positive").Comment);
        Assert.Equal("on update", model.Triggers.Single().Comment);
        Assert.Equal("tickets", model.Sequences.Single(s => s.Name == "ticket_seq").Comment);
    }

    [Fact]
    public async Task Stepwise_helper_objects_are_left_out()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("""
            CREATE TABLE t (a int);
            CREATE FUNCTION _stepwise_fill_t() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
            CREATE TRIGGER _stepwise_fill_t BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION _stepwise_fill_t();
            ALTER TABLE t ADD CONSTRAINT _stepwise_t_a_not_null CHECK (a IS NOT NULL) NOT VALID;
            CREATE INDEX _stepwise_t_a ON t (a);
            """);

        var model = await CatalogReader.ReadAsync(ws.ConnectionString);

        Assert.Empty(model.Functions);
        Assert.Empty(model.Triggers);
        Assert.Empty(model.Indexes);
        Assert.Empty(model.Tables.Single().Constraints);
    }

    [Fact]
    public async Task Equal_schemas_have_no_differences_and_a_hand_made_change_is_named_precisely()
    {
        var (ws, before) = await Inspect();
        await using var _ = ws;
        var again = await CatalogReader.ReadAsync(ws.ConnectionString);
        await ws.ExecuteAsync("""
            ALTER TABLE app.workflow_runs ALTER COLUMN organization_id SET NOT NULL;
            ALTER TABLE app.workflow_runs VALIDATE CONSTRAINT runs_org_fkey;
            ALTER TABLE app.workflow_runs ADD COLUMN note text;
            DROP INDEX app.runs_org_idx;
            ALTER TYPE app.run_state ADD VALUE 'failed';
            CREATE OR REPLACE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := 'x'; RETURN NEW; END $$;
            """);
        var after = await CatalogReader.ReadAsync(ws.ConnectionString);

        var changes = SchemaDiff.Compare(before, after).Select(c => c.ToString()).ToList();

        Assert.Empty(SchemaDiff.Compare(before, again));
        Assert.Equal(
        [
            "added column app.workflow_runs.note",
            "changed column app.workflow_runs.organization_id: nullable → not null",
            "changed constraint app.workflow_runs.runs_org_fkey: not valid → validated",
            "removed index app.runs_org_idx",
            "changed enum app.run_state: labels queued, running, done → queued, running, done, failed",
        ], changes.Where(c => !c.StartsWith("changed function", StringComparison.Ordinal)));
        Assert.Contains(changes, c => c.StartsWith("changed function app.touch(): body (md5)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reading_the_catalog_changes_nothing()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        await ws.ExecuteAsync("CREATE TABLE t (a int)");
        await using var connection = new NpgsqlConnection(ws.ConnectionString);
        await connection.OpenAsync();
        var objects = await Scalar(connection, "SELECT count(*) FROM pg_class");

        var model = await CatalogReader.ReadAsync(connection, ["stepwise"]);

        Assert.Equal("public.t", Assert.Single(model.Tables).QualifiedName);
        Assert.Equal(objects, await Scalar(connection, "SELECT count(*) FROM pg_class"));
    }

    private static async Task<long> Scalar(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
