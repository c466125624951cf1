namespace Stepwise.IntegrationTests.Operations;

/// <summary><c>alter_column</c> through start, rollback and complete.</summary>
[Collection(OperationsCollection.Name)]
public class AlterColumnTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Not_null_with_up_fills_the_nulls_for_old_writers_and_sets_not_null_at_complete()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - alter_column: { table: users, column: nickname, nullable: false, up: "split_part(email, '@', 1)" }
            """);

        await op.HoldsAsync("SELECT count(*) = 0 FROM users WHERE nickname IS NULL");
        await op.HoldsAsync("SELECT walk = 'heap' FROM stepwise.backfills"); // only NULLs rejected, and the fill trigger fills those written meanwhile
        await op.ExecuteAsync("INSERT INTO users (id, email) VALUES (5001, 'old@example.com')");
        await op.HoldsAsync("SELECT nickname = 'old' FROM users WHERE id = 5001");
        await op.HoldsAsync("SELECT NOT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'nickname'");

        await op.RollbackAsync();
        await op.HoldsAsync("SELECT count(*) = 0 FROM users WHERE nickname IS NULL");
        await op.ExecuteAsync("UPDATE users SET nickname = NULL WHERE id <= 10");
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'nickname'");
        await op.HoldsAsync("SELECT nickname = 'u1' FROM users WHERE id = 1");
        await op.RefusedAsync("INSERT INTO users (id, email) VALUES (5002, 'late@example.com')", "23502");
    }

    [Fact]
    public async Task Nullable_drops_not_null_at_start_and_rollback_puts_it_back()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - alter_column: { table: users, column: email, nullable: true }
            """);

        await op.ExecuteAsync("INSERT INTO users (id, email) VALUES (5001, NULL)");
        await op.ExecuteAsync("DELETE FROM users WHERE id = 5001");

        await op.RollbackAsync();
        await op.RefusedAsync("INSERT INTO users (id, email) VALUES (5001, NULL)", "23502");
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT NOT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'email'");
    }

    [Fact]
    public async Task Default_comment_check_references_and_unique_hold_from_start_and_rollback_restores_the_previous_ones()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - alter_column: { table: users, column: score, default: "10" }
              - alter_column: { table: users, column: nickname, comment: shown to others }
              - alter_column: { table: users, column: score, check: { name: score_small, constraint: score < 1000000 } }
              - alter_column: { table: users, column: team_id, references: { name: users_team_fkey, table: teams, column: id } }
              - alter_column: { table: users, column: email, unique: { name: users_email_key } }
            """);

        await op.ExecuteAsync("INSERT INTO users (id, email) VALUES (5001, 'new@example.com')");
        await op.HoldsAsync("SELECT score = 10 FROM users WHERE id = 5001");
        await op.RefusedAsync("UPDATE users SET score = 2000000 WHERE id = 1", "23514");
        await op.RefusedAsync("UPDATE users SET team_id = 99 WHERE id = 1", "23503");
        await op.RefusedAsync("INSERT INTO users (id, email) VALUES (5002, 'new@example.com')", "23505");
        await op.HoldsAsync("SELECT count(*) = 2 FROM pg_constraint WHERE conname IN ('score_small', 'users_team_fkey') AND convalidated");
        await op.ExecuteAsync("DELETE FROM users WHERE id = 5001");

        await op.RollbackAsync();
        await op.ExecuteAsync("INSERT INTO users (id, email) VALUES (5001, 'new@example.com')");
        await op.HoldsAsync("SELECT score = 0 FROM users WHERE id = 5001");
        await op.ExecuteAsync("DELETE FROM users WHERE id = 5001");
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT count(*) = 3 FROM pg_constraint WHERE conname IN ('score_small', 'users_team_fkey', 'users_email_key') AND convalidated");
    }

    [Fact]
    public async Task A_check_with_up_rewrites_the_rows_that_break_it_before_it_is_validated()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - backfill: { table: users, set: { score: id % 5 } }
              - alter_column: { table: users, column: score, check: { name: score_even, constraint: score % 2 = 0 }, up: score * 2 }
            """);

        await op.HoldsAsync("SELECT count(*) = 3000 FROM users WHERE score % 2 = 0 AND score IN (id % 5, id % 5 * 2)");
        await op.RefusedAsync("UPDATE users SET score = 3 WHERE id = 1", "23514");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT convalidated FROM pg_constraint WHERE conname = 'score_even'");
    }

    [Fact]
    public async Task Up_gives_its_value_only_to_rows_a_new_unique_or_foreign_key_rejects_before_the_index_and_validation()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - backfill: { table: users, set: { nickname: "CASE WHEN id <= 3 THEN 'same' WHEN id <= 5 THEN NULL ELSE 'n' || id END", team_id: "CASE WHEN id = 7 THEN 99 ELSE team_id END" } }
              - alter_column: { table: users, column: nickname, unique: { name: users_nickname_key }, up: "nickname || '-' || id", down: nickname }
              - alter_column: { table: users, column: team_id, references: { name: users_team_fkey, table: teams, column: id }, up: "SELECT CASE WHEN EXISTS (SELECT 1 FROM teams WHERE teams.id = team_id) THEN team_id END", down: team_id }
            """);

        // One copy of 'same' keeps its value, the others get up's; NULLs are no duplicates, unique values are left alone.
        await op.HoldsAsync("SELECT count(*) FILTER (WHERE nickname = 'same') = 1 AND count(*) FILTER (WHERE nickname = 'same-' || id) = 2 FROM users WHERE id <= 3");
        await op.HoldsAsync("SELECT array_agg(nickname ORDER BY id) IS NOT DISTINCT FROM ARRAY[NULL, NULL, 'n6', 'n7'] FROM users WHERE id BETWEEN 4 AND 7");
        await op.HoldsAsync("SELECT team_id IS NULL FROM users WHERE id = 7");
        await op.HoldsAsync("SELECT count(*) = 2999 FROM users WHERE team_id IS NOT NULL");
        await op.RefusedAsync("UPDATE users SET nickname = 'same' WHERE id = 10", "23505");

        await op.RollbackAsync();
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT convalidated FROM pg_constraint WHERE conname = 'users_team_fkey'");
        await op.HoldsAsync("SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'users_nickname_key' AND contype = 'u')");
    }

    [Fact]
    public async Task Down_gives_rows_new_code_wrote_without_a_value_one_when_rollback_puts_not_null_back()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - alter_column: { table: users, column: email, nullable: true, up: email, down: "SELECT CASE WHEN email IS NULL THEN 'user' || id || '@unknown' ELSE email END" }
            """);
        await op.ExecuteAsync("UPDATE users SET email = NULL WHERE id IN (1, 2)");

        await op.RollbackAsync();

        await op.HoldsAsync("SELECT array_agg(email ORDER BY id) = ARRAY['user1@unknown', 'user2@unknown', 'u3@example.com'] FROM users WHERE id <= 3");
        await op.RefusedAsync("UPDATE users SET email = NULL WHERE id = 1", "23502");
        await op.CompleteAsync();
        await op.ExecuteAsync("UPDATE users SET email = NULL WHERE id = 1");
    }
}
