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
}
