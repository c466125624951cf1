using Stepwise.Catalog;
using Stepwise.Execution;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Operations;

/// <summary>
/// Every operation through start, rollback (the catalog must equal the one before start), start again and
/// complete, on a real PostgreSQL, with what must hold after start and after complete.
/// </summary>
public class EachOperationTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const string Base = """
        -- stepwise:up
        CREATE TABLE teams (id bigint PRIMARY KEY, name text NOT NULL);
        CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, team_id bigint, nickname text, score int DEFAULT 0);
        CREATE INDEX users_team_idx ON users (team_id);
        ALTER TABLE users ADD CONSTRAINT users_score_check CHECK (score >= 0);
        CREATE VIEW active_users AS SELECT id, email FROM users;
        COMMENT ON VIEW active_users IS 'who is here';
        CREATE TABLE legacy (id int);
        CREATE TABLE logs (line text);
        CREATE TABLE memberships (team_id bigint, user_id bigint, role text, PRIMARY KEY (team_id, user_id));
        CREATE TABLE empty (id bigint PRIMARY KEY);
        INSERT INTO teams SELECT g, 'team ' || g FROM generate_series(1, 10) g;
        INSERT INTO users (id, email, team_id) SELECT g, 'u' || g || '@example.com', 1 + g % 10 FROM generate_series(1, 3000) g;
        INSERT INTO logs SELECT 'line ' || g FROM generate_series(1, 3000) g;
        INSERT INTO memberships SELECT 1 + g % 10, g, NULL FROM generate_series(1, 3000) g;
        """;

    /// <summary>Applies the base, then the operation file: start, rollback, start, complete; checks each stage.</summary>
    private async Task RoundTripAsync(string yaml, string? afterStart, string afterComplete)
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_base.sql", Base).Write("2_op.yaml", yaml).WriteSum();
        await ws.Migrator().ApplyAsync(new ApplyRequest { ToVersion = 1 });
        var before = await CatalogReader.ReadAsync(ws.ConnectionString);

        await ws.Migrator().ApplyAsync(new ApplyRequest());
        if (afterStart is not null)
        {
            Assert.True(await ws.ScalarAsync<bool>(afterStart), $"after start: {afterStart}");
        }
        await ws.Migrator().RollbackAsync();
        Assert.Equal([], SchemaDiff.Compare(before, await CatalogReader.ReadAsync(ws.ConnectionString)).Select(c => c.ToString()));
        await ws.Migrator().ApplyAsync(new ApplyRequest());
        await ws.Migrator().CompleteAsync();

        Assert.True(await ws.ScalarAsync<bool>(afterComplete), $"after complete: {afterComplete}");
        Assert.Equal(0L, await ws.ScalarAsync<long>("""
            SELECT (SELECT count(*) FROM pg_trigger WHERE tgname LIKE '\_stepwise%') + (SELECT count(*) FROM pg_proc WHERE proname LIKE '\_stepwise%')
                 + (SELECT count(*) FROM pg_constraint WHERE conname LIKE '\_stepwise%')
            """));
        Assert.Equal(MigrationState.Applied, (await ws.Migrator().StatusAsync()).Entries.Single(e => e.Version == 2).State);
    }

    [Fact]
    public Task Create_table_with_keys_checks_identity_and_a_foreign_key() => RoundTripAsync("""
        operations:
          - create_table:
              name: projects
              comment: work
              columns:
                - { name: id, type: bigint, pk: true, generated: { identity: { user_specified_values: BY DEFAULT } } }
                - { name: team_id, type: bigint, references: { name: projects_team_fkey, table: teams, column: id, on_delete: CASCADE } }
                - { name: slug, type: text, unique: true, check: { name: slug_not_empty, constraint: "slug <> ''" } }
                - { name: note, type: text, nullable: true, comment: free text }
        """, "SELECT to_regclass('projects') IS NOT NULL",
        "SELECT count(*) = 4 FROM pg_constraint WHERE conrelid = 'projects'::regclass AND contype IN ('p', 'f', 'u', 'c')");

    [Fact]
    public Task Add_column_with_a_volatile_default_is_backfilled_not_rewritten() => RoundTripAsync("""
        operations:
          - add_column: { table: users, column: { name: created_at, type: timestamptz, nullable: false, default: now() } }
        """, "SELECT count(*) = 0 FROM users WHERE created_at IS NULL",
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'created_at'");

    [Fact]
    public Task Add_column_unique_with_a_constant_default() => RoundTripAsync("""
        operations:
          - add_column: { table: users, column: { name: handle, type: text, nullable: true, unique: true, comment: public name } }
          - add_column: { table: users, column: { name: active, type: boolean, nullable: false, default: "true" } }
        """, "SELECT count(*) = 3000 FROM users WHERE active",
        "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'users_handle_key' AND contype = 'u')");

    [Fact]
    public Task Add_column_on_a_table_without_a_primary_key_and_on_a_composite_key() => RoundTripAsync("""
        operations:
          - add_column: { table: logs, column: { name: upper_line, type: text, nullable: false }, up: upper(line) }
          - add_column: { table: memberships, column: { name: rank, type: int, nullable: false }, up: team_id * 1000 + user_id }
          - add_column: { table: empty, column: { name: x, type: int, nullable: false }, up: "1" }
        """, "SELECT (SELECT count(*) FROM logs WHERE upper_line = upper(line)) = 3000 AND (SELECT count(*) FROM memberships WHERE rank = team_id * 1000 + user_id) = 3000",
        "SELECT (SELECT attnotnull FROM pg_attribute WHERE attrelid = 'logs'::regclass AND attname = 'upper_line') AND (SELECT attnotnull FROM pg_attribute WHERE attrelid = 'empty'::regclass AND attname = 'x')");

    [Fact]
    public Task Alter_column_not_null_with_up_fills_the_nulls() => RoundTripAsync("""
        operations:
          - alter_column: { table: users, column: team_id, nullable: false, up: "coalesce(team_id, 1)" }
          - alter_column: { table: users, column: nickname, nullable: false, up: "split_part(email, '@', 1)" }
        """, "SELECT count(*) = 0 FROM users WHERE nickname IS NULL",
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'nickname'");

    [Fact]
    public Task Alter_column_nullable_default_comment_check_references_and_unique() => RoundTripAsync("""
        operations:
          - alter_column: { table: users, column: email, nullable: true }
          - alter_column: { table: users, column: score, default: "10" }
          - alter_column: { table: users, column: nickname, comment: shown to others }
          - alter_column: { table: users, column: score, check: { name: score_small, constraint: score < 1000000 } }
          - alter_column: { table: users, column: team_id, references: { name: users_team_fkey, table: teams, column: id } }
          - alter_column: { table: users, column: email, unique: { name: users_email_key } }
        """, "SELECT NOT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'email'",
        "SELECT count(*) = 3 FROM pg_constraint WHERE conname IN ('score_small', 'users_team_fkey', 'users_email_key') AND convalidated");

    [Fact]
    public Task Create_constraint_check_foreign_key_and_unique() => RoundTripAsync("""
        operations:
          - create_constraint: { table: users, name: email_has_at, type: check, check: "email LIKE '%@%'", columns: [email] }
          - create_constraint: { table: users, name: users_team_fk, type: foreign_key, columns: [team_id], references: { table: teams, columns: [id] } }
          - create_constraint: { table: teams, name: teams_name_key, type: unique, columns: [name] }
        """, "SELECT count(*) = 3 FROM pg_constraint WHERE conname IN ('email_has_at', 'users_team_fk', 'teams_name_key')",
        "SELECT bool_and(convalidated) FROM pg_constraint WHERE conname IN ('email_has_at', 'users_team_fk', 'teams_name_key')");

    [Fact]
    public Task Create_constraint_primary_key_on_a_concurrent_index() => RoundTripAsync("""
        operations:
          - create_constraint: { table: logs, name: logs_pkey, type: primary_key, columns: [line] }
        """, "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'logs_pkey' AND contype = 'p')",
        "SELECT EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = 'logs_pkey'::regclass AND indisprimary AND indisvalid)");

    [Fact]
    public Task Alter_column_check_with_up_fixes_the_rows_that_break_it_and_add_column_up_wins_over_a_constant_default() => RoundTripAsync("""
        operations:
          - alter_column: { table: users, column: score, check: { name: score_even, constraint: score % 2 = 0 }, up: score * 2 }
          - add_column: { table: users, column: { name: level, type: int, nullable: false, default: "1" }, up: id % 5 }
        """, "SELECT count(*) = 3000 FROM users WHERE level = id % 5",
        "SELECT (SELECT convalidated FROM pg_constraint WHERE conname = 'score_even') AND (SELECT pg_get_expr(adbin, adrelid) = '1' FROM pg_attrdef WHERE adrelid = 'users'::regclass AND adnum = (SELECT attnum FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'level'))");

    [Fact]
    public Task Drop_column_with_down_fills_it_for_rows_new_code_writes_until_complete() => RoundTripAsync("""
        operations:
          - drop_column: { table: users, column: nickname, down: "split_part(email, '@', 1)" }
        """, "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname LIKE '\\_stepwise\\_fill%')",
        "SELECT NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'nickname' AND NOT attisdropped)");

    [Fact]
    public async Task Text_that_would_run_as_more_than_one_statement_is_refused_at_the_operation()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_base.sql", Base).Write("2_op.yaml", """
            operations:
              - add_column: { table: users, column: { name: x, type: "int; DROP TABLE teams", nullable: true } }
            """).WriteSum();
        await ws.Migrator().ApplyAsync(new ApplyRequest { ToVersion = 1 });

        var error = await Assert.ThrowsAsync<MigrationRefusedException>(() => ws.Migrator().ApplyAsync(new ApplyRequest()));

        var problem = Assert.Single(error.Problems);
        Assert.Equal(2, problem.Line);
        Assert.Contains("not one", problem.Message);
        Assert.Equal("teams", await ws.ScalarAsync<string>("SELECT to_regclass('teams')::text"));
    }

    [Fact]
    public Task Drops_wait_for_complete() => RoundTripAsync("""
        operations:
          - drop_index: { name: users_team_idx }
          - drop_column: { table: users, column: nickname }
          - drop_constraint: { table: users, name: users_score_check }
          - drop_table: { name: legacy }
        """, "SELECT to_regclass('legacy') IS NOT NULL AND to_regclass('users_team_idx') IS NOT NULL",
        "SELECT to_regclass('legacy') IS NULL AND to_regclass('users_team_idx') IS NULL AND NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'nickname' AND NOT attisdropped)");

    [Fact]
    public Task Rename_constraint_views_sql_and_backfill() => RoundTripAsync("""
        operations:
          - rename_constraint: { table: users, from: users_score_check, to: users_score_positive }
          - replace_view: { name: active_users, definition: "SELECT id, email, team_id FROM users" }
          - create_view: { name: team_sizes, definition: "SELECT team_id, count(*) AS n FROM users GROUP BY team_id" }
          - sql: { up: "CREATE TABLE audit (at timestamptz)", down: "DROP TABLE audit" }
          - backfill: { table: users, set: { score: id % 7 }, where: "id <= 100" }
          - assert: { name: scores_set, sql: "SELECT 1 FROM users WHERE id <= 100 AND score <> id % 7" }
        """, "SELECT to_regclass('audit') IS NOT NULL AND to_regclass('team_sizes') IS NOT NULL",
        "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'users_score_positive') AND (SELECT count(*) FROM users WHERE score = id % 7 AND id <= 100) = 100");

    [Fact]
    public async Task A_failing_assert_stops_the_start_and_says_which_and_where()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_base.sql", Base).Write("2_op.yaml", """
            operations:
              - assert: { name: no_users, sql: "SELECT id FROM users" }
            """).WriteSum();
        await ws.Migrator().ApplyAsync(new ApplyRequest { ToVersion = 1 });

        var error = await Assert.ThrowsAsync<MigrationFailedException>(() => ws.Migrator().ApplyAsync(new ApplyRequest()));

        Assert.Contains("assert no_users", error.Message);
        Assert.Equal(2, error.Line);
        Assert.Equal(MigrationState.InProgress, (await ws.Migrator().StatusAsync()).Entries.Single(e => e.Version == 2).State);
    }
}
