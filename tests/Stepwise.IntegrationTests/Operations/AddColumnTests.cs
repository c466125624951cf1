using Stepwise.Execution;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Operations;

/// <summary><c>add_column</c> through start, rollback and complete, with what old and new code see at each phase.</summary>
[Collection(OperationsCollection.Name)]
public class AddColumnTests(PostgresFixture fixture)
{
    [Fact]
    public async Task A_not_null_column_with_up_is_filled_for_old_writers_and_set_not_null_at_complete()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - add_column:
                  table: users
                  column:
                    name: org
                    type: bigint
                    nullable: false
                    check: { name: org_positive, constraint: org > 0 }
                    references: { name: users_org_fkey, table: teams, column: id }
                  up: team_id
            """);

        await op.HoldsAsync("SELECT count(*) = 3000 FROM users WHERE org = team_id");
        await op.ExecuteAsync("INSERT INTO users (id, email, team_id) VALUES (5001, 'old@example.com', 3)");
        await op.HoldsAsync("SELECT org = 3 FROM users WHERE id = 5001");
        await op.HoldsAsync("SELECT NOT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'org'");
        await op.HoldsAsync("SELECT bool_and(convalidated) FROM pg_constraint WHERE conname IN ('org_positive', 'users_org_fkey', '_stepwise_nn_users_org')");
        await op.RefusedAsync("INSERT INTO users (id, email) VALUES (5002, 'nothing@example.com')", "23514");
        await op.RefusedAsync("INSERT INTO users (id, email, org) VALUES (5003, 'far@example.com', 99)", "23503");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'org'");
        await op.RefusedAsync("INSERT INTO users (id, email, team_id) VALUES (5004, 'late@example.com', 3)", "23502");
        await op.RefusedAsync("INSERT INTO users (id, email, org) VALUES (5005, 'zero@example.com', -1)", "23514");
    }

    [Fact]
    public async Task A_constant_default_is_stored_once_and_a_unique_column_is_enforced_from_start()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - add_column: { table: users, column: { name: handle, type: text, nullable: true, unique: true, comment: public name } }
              - add_column: { table: users, column: { name: active, type: boolean, nullable: false, default: "true" } }
            """);

        await op.HoldsAsync("SELECT count(*) = 3000 FROM users WHERE active");
        await op.HoldsAsync("SELECT indisvalid AND indisunique FROM pg_index WHERE indexrelid = 'users_handle_key'::regclass");
        await op.HoldsAsync("SELECT NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'users_handle_key')");
        await op.HoldsAsync("SELECT col_description('users'::regclass, (SELECT attnum FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'handle')) = 'public name'");
        await op.ExecuteAsync("UPDATE users SET handle = 'ann' WHERE id = 1");
        await op.RefusedAsync("UPDATE users SET handle = 'ann' WHERE id = 2", "23505");
        await op.ExecuteAsync("UPDATE users SET handle = NULL WHERE id = 1");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'users_handle_key' AND contype = 'u')");
        await op.HoldsAsync("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'active'");
        await op.HoldsAsync("SELECT (SELECT atthasmissing FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'active')");
    }

    [Fact]
    public async Task A_volatile_default_is_backfilled_not_rewritten_and_applies_to_new_rows()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - add_column: { table: users, column: { name: created_at, type: timestamptz, nullable: false, default: now() } }
            """);

        await op.HoldsAsync("SELECT count(*) = 0 FROM users WHERE created_at IS NULL");
        await op.ExecuteAsync("INSERT INTO users (id, email) VALUES (5001, 'new@example.com')");
        await op.HoldsAsync("SELECT created_at IS NOT NULL FROM users WHERE id = 5001");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'created_at'");
    }

    [Fact]
    public async Task Up_fills_existing_rows_while_a_constant_default_applies_to_new_ones()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - add_column: { table: users, column: { name: level, type: int, nullable: false, default: "1" }, up: id % 5 }
            """);

        await op.HoldsAsync("SELECT count(*) = 3000 FROM users WHERE level = id % 5");
        await op.ExecuteAsync("INSERT INTO users (id, email) VALUES (5003, 'new@example.com')");
        await op.HoldsAsync("SELECT level = 1 FROM users WHERE id = 5003");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT pg_get_expr(adbin, adrelid) = '1' FROM pg_attrdef WHERE adrelid = 'users'::regclass AND adnum = (SELECT attnum FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'level')");
    }

    [Fact]
    public async Task Tables_without_a_primary_key_with_a_composite_key_and_empty_are_backfilled()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - add_column: { table: logs, column: { name: upper_line, type: text, nullable: false }, up: upper(line) }
              - add_column: { table: memberships, column: { name: rank, type: int, nullable: false }, up: team_id * 1000 + user_id }
              - add_column: { table: empty, column: { name: x, type: int, nullable: false }, up: "1" }
            """);

        await op.HoldsAsync("SELECT (SELECT count(*) FROM logs WHERE upper_line = upper(line)) = 3000 AND (SELECT count(*) FROM memberships WHERE rank = team_id * 1000 + user_id) = 3000");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT bool_and(attnotnull) FROM pg_attribute WHERE (attrelid, attname) IN (('logs'::regclass, 'upper_line'), ('memberships'::regclass, 'rank'), ('empty'::regclass, 'x'))");
    }

    [Theory]
    [InlineData("int GENERATED ALWAYS AS (score * 2) STORED")]
    [InlineData("bigint REFERENCES teams(id) ON DELETE CASCADE")]
    [InlineData("int DEFAULT 1 --")]
    public async Task A_type_that_is_more_than_a_type_name_is_refused_at_the_type_and_nothing_is_applied(string type)
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_base.sql", OperationPhases.Base).Write("2_op.yaml", $"""
            operations:
              - add_column: {"{"} table: users, column: {"{"} name: x, type: "{type}", nullable: true {"}"} {"}"}
            """).WriteSum();

        var error = await Assert.ThrowsAsync<MigrationRefusedException>(() => ws.Migrator().ApplyAsync(new ApplyRequest()));

        var problem = Assert.Single(error.Problems);
        Assert.Equal(("not-a-type", 2), (problem.Code, problem.Line));
        Assert.InRange(problem.Column, 58, 58 + type.Length + 1);
        Assert.Null(await ws.ScalarAsync<string>("SELECT to_regclass('users')::text"));
    }

    [Fact]
    public async Task Text_that_would_run_as_more_than_one_statement_is_refused_at_the_operation()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_base.sql", OperationPhases.Base).Write("2_op.yaml", """
            operations:
              - create_index: { name: i, table: users, columns: [email], storage_parameters: "fillfactor = 70); DROP TABLE teams; --" }
            """).WriteSum();
        await ws.Migrator().ApplyAsync(new ApplyRequest { ToVersion = 1 });

        var error = await Assert.ThrowsAsync<MigrationRefusedException>(() => ws.Migrator().ApplyAsync(new ApplyRequest()));

        var problem = Assert.Single(error.Problems);
        Assert.Equal(2, problem.Line);
        Assert.Contains("not one", problem.Message);
        Assert.Equal("teams", await ws.ScalarAsync<string>("SELECT to_regclass('teams')::text"));
    }
}
