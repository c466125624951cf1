using Stepwise.Execution;

namespace Stepwise.IntegrationTests.Execution;

public class HistoryTransitionTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Every_move_history_makes_through_a_whole_lifecycle_is_one_the_state_machine_allows()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);\n-- stepwise:down\nDROP TABLE a;\n")
          .Write("2_c.yaml", "operations:\n  - create_table: { name: c, columns: [{ name: id, type: bigint, pk: true }] }\n")
          .Write("3_b.sql", "-- stepwise:no-transaction\n-- stepwise:up\nCREATE TABLE b (id int);\nCREATE INDEX CONCURRENTLY b_idx ON b (id);\n-- stepwise:down\nDROP INDEX CONCURRENTLY b_idx;\nDROP TABLE b;\n")
          .Write("4_d.sql", "-- stepwise:up\nSELECT 1/0;\n-- stepwise:down\nSELECT 1;\n")
          .WriteSum();
        var migrator = ws.Migrator();
        await migrator.RepairAsync(apply: true); // creates the state schema, so its moves can be watched from the start
        await ws.ExecuteAsync("""
            CREATE TABLE moves (id bigint GENERATED ALWAYS AS IDENTITY, from_status text, to_status text);
            CREATE FUNCTION log_move() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO moves (from_status, to_status) VALUES (CASE WHEN TG_OP <> 'INSERT' THEN OLD.status END, CASE WHEN TG_OP <> 'DELETE' THEN NEW.status END);
              RETURN NULL;
            END $$;
            CREATE TRIGGER log_move AFTER INSERT OR UPDATE OR DELETE ON stepwise.migrations FOR EACH ROW EXECUTE FUNCTION log_move();
            """);

        await migrator.ApplyAsync(new ApplyRequest()); // 1 applied, 2 started
        await migrator.RollbackAsync(); // 2 rolled back
        await Assert.ThrowsAsync<MigrationFailedException>(() => migrator.ApplyAsync(new ApplyRequest { Complete = true })); // 2 and 3 applied, 4 failed
        ws.Write("4_d.sql", "-- stepwise:up\nSELECT 1;\n-- stepwise:down\nSELECT 1;\n").WriteSum();
        await migrator.ApplyAsync(new ApplyRequest()); // 4 applied
        await migrator.RollbackAsync(steps: 2); // 4 in a transaction, 3 statement by statement

        var moves = new List<(HistoryStatus? From, HistoryStatus? To)>();
        await using (var connection = new Npgsql.NpgsqlConnection(ws.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("SELECT from_status, to_status FROM moves ORDER BY id", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                moves.Add((reader.IsDBNull(0) ? null : HistoryStatuses.Parse(reader.GetString(0)), reader.IsDBNull(1) ? null : HistoryStatuses.Parse(reader.GetString(1))));
            }
        }

        Assert.All(moves, m => Assert.True(HistoryStatuses.Allows(m.From, m.To), $"history moved {m.From?.Text() ?? "(no row)"} → {m.To?.Text() ?? "(no row)"}, which the state machine does not allow"));
        Assert.Contains((HistoryStatus.Started, HistoryStatus.RollingBack), moves);
        Assert.Contains((HistoryStatus.Completing, HistoryStatus.Applied), moves);
        Assert.Contains((HistoryStatus.Partial, HistoryStatus.Applied), moves);
        Assert.Contains((HistoryStatus.Applied, HistoryStatus.Reverting), moves);
        Assert.Contains((null, HistoryStatus.Failed), moves);
    }
}
