using Npgsql;
using Stepwise.Catalog;
using Stepwise.IntegrationTests.Execution;
using Stepwise.Sql;

namespace Stepwise.IntegrationTests.Catalog;

/// <summary>The SQL written from two models really turns the first database into the second.</summary>
public class SchemaSqlTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const string Base = """
        CREATE SCHEMA app;
        CREATE TYPE app.run_state AS ENUM ('queued', 'done');
        CREATE DOMAIN app.positive AS integer DEFAULT 1 CONSTRAINT positive_check CHECK (VALUE > 0);
        CREATE TYPE app.money_amount AS (amount numeric(12,2), currency char(3));
        CREATE TABLE app.organizations (id uuid PRIMARY KEY, name text NOT NULL COLLATE "C", slug text);
        CREATE TABLE app.workflow_runs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            organization_id uuid,
            state app.run_state NOT NULL DEFAULT 'queued',
            attempts int DEFAULT 0,
            note text NOT NULL,
            legacy text,
            qty app.positive,
            total app.money_amount
        );
        ALTER TABLE app.workflow_runs ADD CONSTRAINT runs_org_fkey FOREIGN KEY (organization_id) REFERENCES app.organizations (id) NOT VALID;
        ALTER TABLE app.workflow_runs ADD CONSTRAINT attempts_small CHECK (attempts < 100);
        CREATE TABLE app.tickets (id serial PRIMARY KEY, run_id bigint REFERENCES app.workflow_runs);
        CREATE TABLE app.old_audit (id int, what text);
        CREATE INDEX runs_state_idx ON app.workflow_runs (state) WHERE state <> 'done';
        CREATE INDEX runs_attempts_idx ON app.workflow_runs (attempts);
        CREATE VIEW app.open_runs AS SELECT id, state FROM app.workflow_runs WHERE state <> 'done';
        CREATE SEQUENCE app.ticket_seq INCREMENT 5;
        CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE FUNCTION app.double(n int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT n * 2';
        CREATE TRIGGER runs_touch BEFORE UPDATE ON app.workflow_runs FOR EACH ROW EXECUTE FUNCTION app.touch();
        CREATE POLICY org_read ON app.organizations FOR SELECT USING (name <> '');
        CREATE TABLE app.events (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);
        CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        CREATE INDEX events_at_idx ON app.events (at);
        COMMENT ON TABLE app.organizations IS 'tenants';
        COMMENT ON COLUMN app.workflow_runs.note IS 'free text';
        """;

    private const string Changes = """
        CREATE SCHEMA reporting;
        COMMENT ON SCHEMA reporting IS 'read models';
        ALTER TYPE app.run_state ADD VALUE 'running' BEFORE 'done';
        ALTER DOMAIN app.positive SET DEFAULT 2;
        ALTER DOMAIN app.positive ADD CONSTRAINT positive_small CHECK (VALUE < 1000);
        ALTER TYPE app.money_amount ADD ATTRIBUTE rate numeric;
        ALTER SEQUENCE app.ticket_seq INCREMENT 10 CACHE 5;
        ALTER TABLE app.organizations ENABLE ROW LEVEL SECURITY;
        ALTER TABLE app.organizations ADD CONSTRAINT organizations_slug_key UNIQUE (slug);
        COMMENT ON TABLE app.organizations IS 'customers';
        ALTER TABLE app.workflow_runs ALTER COLUMN attempts TYPE bigint;
        ALTER TABLE app.workflow_runs ALTER COLUMN attempts SET DEFAULT 1;
        ALTER TABLE app.workflow_runs ALTER COLUMN state DROP DEFAULT;
        ALTER TABLE app.workflow_runs ALTER COLUMN organization_id SET NOT NULL;
        ALTER TABLE app.workflow_runs ALTER COLUMN note DROP NOT NULL;
        ALTER TABLE app.workflow_runs DROP COLUMN legacy;
        ALTER TABLE app.workflow_runs ADD COLUMN priority int NOT NULL DEFAULT 0;
        ALTER TABLE app.workflow_runs ADD COLUMN tags text[];
        ALTER TABLE app.workflow_runs VALIDATE CONSTRAINT runs_org_fkey;
        ALTER TABLE app.workflow_runs DROP CONSTRAINT attempts_small;
        ALTER TABLE app.workflow_runs ADD CONSTRAINT attempts_small CHECK (attempts < 1000);
        ALTER TABLE app.workflow_runs ADD CONSTRAINT priority_range CHECK (priority BETWEEN 0 AND 9);
        COMMENT ON COLUMN app.workflow_runs.note IS 'optional text';
        DROP INDEX app.runs_attempts_idx;
        DROP INDEX app.runs_state_idx;
        CREATE INDEX runs_state_idx ON app.workflow_runs (state) WHERE state = 'queued';
        CREATE INDEX runs_priority_idx ON app.workflow_runs (priority DESC, id) INCLUDE (state);
        CREATE OR REPLACE VIEW app.open_runs AS SELECT id, state, priority FROM app.workflow_runs WHERE state <> 'done';
        CREATE MATERIALIZED VIEW reporting.run_counts AS SELECT state, count(*) AS n FROM app.workflow_runs GROUP BY state;
        CREATE OR REPLACE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.attempts := NEW.attempts + 1; RETURN NEW; END $$;
        CREATE FUNCTION reporting.runs_of(org uuid) RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM app.workflow_runs WHERE organization_id = org';
        ALTER FUNCTION app.double(int) STABLE;
        CREATE TRIGGER runs_touch_insert BEFORE INSERT ON app.workflow_runs FOR EACH ROW EXECUTE FUNCTION app.touch();
        ALTER TABLE app.workflow_runs DISABLE TRIGGER runs_touch;
        ALTER POLICY org_read ON app.organizations USING (name <> '' AND slug IS NOT NULL);
        CREATE POLICY org_write ON app.organizations FOR INSERT WITH CHECK (slug IS NOT NULL);
        DROP TABLE app.old_audit;
        CREATE TABLE reporting.daily (day date PRIMARY KEY, org uuid NOT NULL REFERENCES app.organizations, runs bigint);
        ALTER TABLE reporting.daily ADD CONSTRAINT daily_runs_check CHECK (runs >= 0) NOT VALID;
        CREATE TABLE app.events_2027 PARTITION OF app.events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
        """;

    [Fact]
    public async Task The_sql_of_a_whole_model_rebuilds_it_in_an_empty_database()
    {
        await using var source = await MigrationWorkspace.CreateAsync(fixture);
        await source.ExecuteAsync(Base);
        await source.ExecuteAsync(Changes);
        var model = await CatalogReader.ReadAsync(source.ConnectionString);
        await using var target = await MigrationWorkspace.CreateAsync(fixture);

        await RunScriptAsync(target.ConnectionString, SchemaSql.Render(SchemaSql.NewDatabase, model));

        Assert.Equal([], SchemaDiff.Compare(model, await CatalogReader.ReadAsync(target.ConnectionString)).Select(c => c.ToString()));
    }

    /// <summary>
    /// Objects named so that neither the order of kinds nor the order of names works: functions whose declarations,
    /// parameters or queries need tables (and views), tables whose defaults call functions, views on views, types used
    /// by tables, triggers, sequences owned by columns, sub-partitions; then a generated chain of 40 tables with foreign
    /// keys, 40 views each on the next, and 40 PL/pgSQL functions on them.
    /// </summary>
    private static string Tangled()
    {
        var sql = new System.Text.StringBuilder("""
            CREATE SCHEMA auth;
            CREATE TYPE mood AS ENUM ('ok', 'bad');
            CREATE DOMAIN positive AS int CHECK (VALUE > 0);
            CREATE TYPE pair AS (a int, b positive);
            CREATE TABLE auth.users (id bigserial PRIMARY KEY, mood mood NOT NULL DEFAULT 'ok', p pair);
            CREATE TABLE z_scores (id int, score int);
            CREATE FUNCTION a_next_score() RETURNS int LANGUAGE sql AS 'SELECT coalesce(max(score), 0) + 1 FROM z_scores';
            CREATE TABLE b_games (id int, score int DEFAULT a_next_score());
            CREATE FUNCTION a_user_row(u auth.users) RETURNS auth.users LANGUAGE plpgsql AS $$ DECLARE r auth.users%ROWTYPE; BEGIN r := u; RETURN r; END $$;
            CREATE FUNCTION a_rowtype() RETURNS int LANGUAGE plpgsql AS $$ DECLARE r z_scores%ROWTYPE; n z_scores.score%TYPE; BEGIN RETURN 1; END $$;
            CREATE FUNCTION a_games() RETURNS SETOF b_games LANGUAGE plpgsql AS $$ BEGIN RETURN QUERY SELECT * FROM b_games; END $$;
            CREATE VIEW z_base_view AS SELECT * FROM z_scores;
            CREATE VIEW a_top AS SELECT * FROM z_base_view WHERE score > 1;
            CREATE FUNCTION a_from_view() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM a_top';
            CREATE VIEW a_counted AS SELECT a_from_view() AS n;
            CREATE MATERIALIZED VIEW m_stats AS SELECT count(*) AS n FROM a_top;
            CREATE UNIQUE INDEX a_stats_n ON m_stats (n);
            CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
            CREATE TRIGGER z_touch BEFORE INSERT ON z_scores FOR EACH ROW EXECUTE FUNCTION touch();
            CREATE SEQUENCE a_scores_seq OWNED BY z_scores.id;
            ALTER TABLE z_scores ALTER COLUMN id SET DEFAULT nextval('a_scores_seq');
            CREATE TABLE events (id int, k int, sub int) PARTITION BY RANGE (k);
            CREATE TABLE a_events_low PARTITION OF events FOR VALUES FROM (0) TO (10) PARTITION BY LIST (sub);
            CREATE TABLE a_events_low_1 PARTITION OF a_events_low FOR VALUES IN (1);

            """);
        const int chain = 40;
        for (var i = 1; i <= chain; i++)
        {
            sql.Append($"CREATE TABLE chain_{i:D2} (id int PRIMARY KEY, prev int{(i > 1 ? $" REFERENCES chain_{i - 1:D2}" : "")}, state mood);\n");
        }
        for (var i = chain; i >= 1; i--)
        {
            // v_01 reads v_02 reads ... v_40: names in the order opposite to what they need.
            sql.Append($"CREATE VIEW v_{i:D2} AS SELECT * FROM {(i == chain ? $"chain_{i:D2}" : $"v_{i + 1:D2}")};\n");
            sql.Append($"CREATE FUNCTION f_{i:D2}(r chain_{i:D2}) RETURNS chain_{i:D2} LANGUAGE plpgsql AS $$ DECLARE c chain_{i:D2}%ROWTYPE; BEGIN c := r; RETURN c; END $$;\n");
        }
        return sql.ToString();
    }

    [Fact]
    public async Task The_sql_of_a_whole_model_creates_each_object_after_what_it_needs()
    {
        await using var source = await MigrationWorkspace.CreateAsync(fixture);
        await source.ExecuteAsync(Tangled());
        var model = await CatalogReader.ReadAsync(source.ConnectionString);
        await using var target = await MigrationWorkspace.CreateAsync(fixture);

        await RunScriptAsync(target.ConnectionString, SchemaSql.Render(SchemaSql.NewDatabase, model));

        Assert.Equal([], SchemaDiff.Compare(model, await CatalogReader.ReadAsync(target.ConnectionString)).Select(c => c.ToString()));
        Assert.Equal((44, 40), (model.Views.Count, model.Functions.Count(f => f.Signature.StartsWith("f_", StringComparison.Ordinal)))); // the whole schema was rebuilt
    }

    [Fact]
    public async Task The_sql_of_a_diff_turns_the_first_database_into_the_second()
    {
        await using var before = await MigrationWorkspace.CreateAsync(fixture);
        await before.ExecuteAsync(Base);
        await using var after = await MigrationWorkspace.CreateAsync(fixture);
        await after.ExecuteAsync(Base);
        await after.ExecuteAsync(Changes);
        var from = await CatalogReader.ReadAsync(before.ConnectionString);
        var to = await CatalogReader.ReadAsync(after.ConnectionString);

        var script = SchemaSql.Render(from, to);
        await RunScriptAsync(before.ConnectionString, script);

        Assert.Equal([], SchemaDiff.Compare(await CatalogReader.ReadAsync(before.ConnectionString), to).Select(c => c.ToString()));
        // The safe forms, not the blocking ones.
        Assert.Contains("CREATE INDEX CONCURRENTLY runs_priority_idx ON app.workflow_runs", script, StringComparison.Ordinal);
        Assert.Contains("ADD CONSTRAINT \"workflow_runs_organization_id_not_null\" CHECK (\"organization_id\" IS NOT NULL) NOT VALID", script, StringComparison.Ordinal);
        Assert.Contains("ADD CONSTRAINT \"organizations_slug_key\" UNIQUE USING INDEX \"organizations_slug_key\"", script, StringComparison.Ordinal);
        Assert.Contains("ADD CONSTRAINT \"priority_range\" CHECK (((priority >= 0) AND (priority <= 9))) NOT VALID", script, StringComparison.Ordinal);
        Assert.Contains("-- REVIEW: app.workflow_runs.attempts: integer → bigint rewrites the table", script, StringComparison.Ordinal);
        Assert.StartsWith(SchemaSql.Header, script, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dropped_and_an_added_column_of_one_type_are_flagged_as_a_possible_rename()
    {
        var table = new TableModel("public", "t", "table", false, false, null,
            [new ColumnModel("id", "integer", true, null, null, null, null, null), new ColumnModel("title", "text", false, null, null, null, null, null)], []);
        var renamed = table with { Columns = [table.Columns[0], new ColumnModel("name", "text", false, null, null, null, null, null)] };

        var steps = SchemaSql.Generate(new SchemaModel { Tables = [table] }, new SchemaModel { Tables = [renamed] });

        var drop = steps.Single(s => s.Sql is not null && s.Sql.Contains("DROP COLUMN", StringComparison.Ordinal));
        Assert.Contains("RENAME COLUMN \"title\" TO \"name\"", drop.Review, StringComparison.Ordinal);
        Assert.Contains(steps, s => s.Sql == "ALTER TABLE \"public\".\"t\" ADD COLUMN \"name\" text");
        Assert.Empty(SchemaSql.Generate(new SchemaModel { Tables = [table] }, new SchemaModel { Tables = [table] }));
    }

    [Fact]
    public async Task Every_kind_of_change_is_named_in_the_diff()
    {
        await using var before = await MigrationWorkspace.CreateAsync(fixture);
        await before.ExecuteAsync(Base);
        await using var after = await MigrationWorkspace.CreateAsync(fixture);
        await after.ExecuteAsync(Base);
        await after.ExecuteAsync(Changes);

        var changes = SchemaDiff.Compare(await CatalogReader.ReadAsync(before.ConnectionString), await CatalogReader.ReadAsync(after.ConnectionString))
            .Select(c => c.ToString()).ToList();

        Assert.Contains("added schema reporting", changes);
        Assert.Contains("changed enum app.run_state: labels queued, done → queued, running, done", changes);
        Assert.Contains("changed domain app.positive: default 1 → 2", changes);
        Assert.Contains("added domain constraint app.positive.positive_small", changes);
        Assert.Contains("changed type app.money_amount: attributes amount numeric(12,2), currency character(3) → amount numeric(12,2), currency character(3), rate numeric", changes);
        Assert.Contains("changed sequence app.ticket_seq: increment 5 → 10", changes);
        Assert.Contains("changed sequence app.ticket_seq: cache 1 → 5", changes);
        Assert.Contains("changed table app.organizations: row security off → on", changes);
        Assert.Contains("changed table app.organizations: comment tenants → customers", changes);
        Assert.Contains("changed column app.workflow_runs.attempts: type integer → bigint", changes);
        Assert.Contains("changed column app.workflow_runs.organization_id: nullable → not null", changes);
        Assert.Contains("changed column app.workflow_runs.note: comment free text → optional text", changes);
        Assert.Contains("removed column app.workflow_runs.legacy", changes);
        Assert.Contains("changed constraint app.workflow_runs.runs_org_fkey: not valid → validated", changes);
        Assert.Contains("changed constraint app.workflow_runs.attempts_small: definition CHECK ((attempts < 100)) → CHECK ((attempts < 1000))", changes);
        Assert.Contains("changed index app.runs_state_idx: definition CREATE INDEX runs_state_idx ON app.workflow_runs USING btree (state) WHERE (state <> 'done'::app.run_state) → " +
            "CREATE INDEX runs_state_idx ON app.workflow_runs USING btree (state) WHERE (state = 'queued'::app.run_state)", changes);
        Assert.Contains("added view reporting.run_counts", changes);
        // A view's definition is named by where it first differs, not printed whole twice.
        Assert.Contains("changed view app.open_runs: definition differs from line 2: \"workflow_runs.state\" → \"workflow_runs.state,\" (4 → 5 lines)", changes);
        Assert.Contains("changed function app.double(n integer): volatility immutable → stable", changes);
        Assert.Contains(changes, c => c.StartsWith("changed function app.touch(): body (md5)", StringComparison.Ordinal));
        Assert.Contains("changed trigger app.workflow_runs.runs_touch: enabled enabled → disabled", changes);
        Assert.Contains("added policy app.organizations.org_write", changes);
        Assert.Contains("changed policy app.organizations.org_read: using (name <> ''::text) → ((name <> ''::text) AND (slug IS NOT NULL))", changes);
        Assert.Contains("removed table app.old_audit", changes);
        Assert.Contains("added table app.events_2027", changes);
    }

    /// <summary>Runs a script statement by statement outside a transaction, as a Stepwise migration that holds CONCURRENTLY would.</summary>
    private static async Task RunScriptAsync(string connectionString, string script)
    {
        var parsed = SqlParser.Split(script);
        Assert.True(parsed.IsValid, string.Join("\n", parsed.Errors));
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var statement in parsed.Statements)
        {
            await using var command = new NpgsqlCommand(statement.Text, connection);
            try
            {
                await command.ExecuteNonQueryAsync();
            }
            catch (PostgresException ex)
            {
                Assert.Fail($"{ex.MessageText} in:\n{statement.Text}\n\nscript:\n{script}");
            }
        }
    }
}
