using System.Diagnostics;
using Npgsql;
using Stepwise.Embedded;

namespace Stepwise.Bench;

/// <summary>
/// What a row costs while a lock is held: a table rewrite (ALTER COLUMN TYPE), an index build and a
/// validating scan (ADD CHECK), on a throwaway PostgreSQL. The rewrite's cost per row is the default
/// of <c>LintOptions.RewriteCostPerRow</c>, behind the linter's "the lock would be held for roughly ...".
/// </summary>
internal static class RewriteCostBenchmark
{
    public static async Task RunAsync()
    {
        const int rows = 1_000_000;
        await using var server = await TempPostgres.StartAsync();
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await Execute(connection, $"CREATE TABLE runs (id bigint PRIMARY KEY, workflow_id int NOT NULL, state text NOT NULL, created_at timestamptz NOT NULL DEFAULT now()); " +
            $"INSERT INTO runs (id, workflow_id, state) SELECT g, g % 1000, 'done' FROM generate_series(1, {rows}) g");
        await Execute(connection, "VACUUM ANALYZE runs");

        Console.WriteLine($"Cost per row under lock, {rows:N0}-row table (bigint, int, text, timestamptz), PostgreSQL with fsync off");
        Console.WriteLine();
        Console.WriteLine("| operation | ms | µs per row |");
        Console.WriteLine("|---|---:|---:|");
        await Time(connection, "rewrite: ALTER COLUMN workflow_id TYPE bigint", "ALTER TABLE runs ALTER COLUMN workflow_id TYPE bigint", rows);
        await Time(connection, "index build: CREATE INDEX (workflow_id, created_at)", "CREATE INDEX runs_wf ON runs (workflow_id, created_at)", rows);
        await Time(connection, "validating scan: ADD CHECK (state <> '')", "ALTER TABLE runs ADD CONSTRAINT state_nonempty CHECK (state <> '')", rows);
        await Time(connection, "rewrite: VACUUM FULL", "VACUUM FULL runs", rows);
    }

    private static async Task Time(NpgsqlConnection connection, string name, string sql, int rows)
    {
        var watch = Stopwatch.StartNew();
        await Execute(connection, sql);
        var ms = watch.Elapsed.TotalMilliseconds;
        Console.WriteLine($"| {name} | {ms:F0} | {ms * 1000 / rows:F2} |");
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }
}
