namespace Stepwise.IntegrationTests.Operations;

/// <summary><c>create_constraint</c> through start, rollback and complete.</summary>
[Collection(OperationsCollection.Name)]
public class CreateConstraintTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Check_foreign_key_and_unique_are_validated_at_start_and_enforced()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - create_constraint: { table: users, name: email_has_at, type: check, check: "email LIKE '%@%'", columns: [email] }
              - create_constraint: { table: users, name: users_team_fk, type: foreign_key, columns: [team_id], references: { table: teams, columns: [id], on_delete: SET NULL } }
              - create_constraint: { table: teams, name: teams_name_key, type: unique, columns: [name] }
            """);

        await op.HoldsAsync("SELECT count(*) = 3 FROM pg_constraint WHERE conname IN ('email_has_at', 'users_team_fk', 'teams_name_key') AND convalidated");
        await op.RefusedAsync("INSERT INTO users (id, email) VALUES (5001, 'no at sign')", "23514");
        await op.RefusedAsync("INSERT INTO teams VALUES (11, 'team 1')", "23505");
        await op.ExecuteAsync("DELETE FROM teams WHERE id = 10");
        await op.HoldsAsync("SELECT count(*) = 300 FROM users WHERE team_id IS NULL");
        await op.ExecuteAsync("INSERT INTO teams VALUES (10, 'team 10')");
        await op.ExecuteAsync("UPDATE users SET team_id = 10 WHERE team_id IS NULL");

        await op.RollbackAsync();
        await op.ExecuteAsync("INSERT INTO teams VALUES (11, 'team 1')");
        await op.ExecuteAsync("DELETE FROM teams WHERE id = 11");
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT count(*) = 3 FROM pg_constraint WHERE conname IN ('email_has_at', 'users_team_fk', 'teams_name_key') AND convalidated");
    }

    [Fact]
    public async Task A_check_with_up_fixes_the_rows_that_break_it_first()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - create_constraint: { table: users, name: nickname_set, type: check, check: "nickname IS NOT NULL", columns: [nickname], up: { nickname: "split_part(email, '@', 1)" } }
            """);

        await op.HoldsAsync("SELECT count(*) = 3000 FROM users WHERE nickname = split_part(email, '@', 1)");
        await op.RefusedAsync("INSERT INTO users (id, email) VALUES (5001, 'x@example.com')", "23514");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT convalidated FROM pg_constraint WHERE conname = 'nickname_set'");
    }

    [Fact]
    public async Task A_primary_key_is_attached_to_a_concurrent_index_and_rollback_makes_its_columns_nullable_again()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - create_constraint: { table: logs, name: logs_pkey, type: primary_key, columns: [line] }
            """);

        await op.HoldsAsync("SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'logs_pkey' AND contype = 'p')");
        await op.RefusedAsync("INSERT INTO logs VALUES ('line 1')", "23505");

        await op.RollbackAsync();
        await op.HoldsAsync("SELECT NOT attnotnull FROM pg_attribute WHERE attrelid = 'logs'::regclass AND attname = 'line'");
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT indisprimary AND indisvalid FROM pg_index WHERE indexrelid = 'logs_pkey'::regclass");
    }

    [Fact]
    public async Task An_exclusion_constraint_and_a_unique_one_with_index_parameters_hold_from_start_and_go_on_rollback()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - create_constraint: { table: users, name: users_one_nickname, type: exclude, exclude: { index_method: btree, elements: nickname WITH =, predicate: nickname IS NOT NULL } }
              - create_constraint: { table: users, name: users_email_key, type: unique, columns: [email], index_parameters: { include_columns: [nickname], storage_parameters: fillfactor=70, tablespace: pg_default } }
            """);

        await op.ExecuteAsync("UPDATE users SET nickname = 'ann' WHERE id = 1");
        await op.RefusedAsync("UPDATE users SET nickname = 'ann' WHERE id = 2", "23P01");
        await op.RefusedAsync("UPDATE users SET email = 'u1@example.com' WHERE id = 2", "23505");
        await op.HoldsAsync("SELECT pg_get_indexdef('users_email_key'::regclass) LIKE '%(email) INCLUDE (nickname) WITH (fillfactor=''70'')'");
        await op.ExecuteAsync("UPDATE users SET nickname = NULL WHERE id = 1");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT count(*) = 2 FROM pg_constraint WHERE conname IN ('users_one_nickname', 'users_email_key')");
    }
}
