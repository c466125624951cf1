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

        Assert.Equal(["app", "public"], model.Schemas);
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
        Assert.Equal("touch()", model.Functions.Single(f => f.Schema == "app").Signature);
        Assert.Contains("BEFORE UPDATE ON app.workflow_runs", model.Triggers.Single().Definition);
        Assert.DoesNotContain(model.Tables, t => t.Schema == "stepwise");
        Assert.DoesNotContain(model.Functions, f => f.Schema == "public" && f.Signature.StartsWith("gen_random_uuid", StringComparison.Ordinal)); // extension members are the extension's
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
