using System.Diagnostics;
using Npgsql;
using Stepwise.Catalog;
using Stepwise.Embedded;

namespace Stepwise.Bench;

/// <summary>Reading the catalog model of a database with 1,000 tables (10 columns, 2 indexes, 1 foreign key each).</summary>
internal static class InspectBenchmark
{
    public static async Task RunAsync()
    {
        await using var server = await TempPostgres.StartAsync();
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand("""
            CREATE TABLE parent (id bigint PRIMARY KEY);
            DO $$
            BEGIN
              FOR i IN 1..1000 LOOP
                EXECUTE format('CREATE TABLE t%s (id bigint PRIMARY KEY, parent_id bigint REFERENCES parent (id), a int, b text, c timestamptz DEFAULT now(),
                                d numeric(10,2), e boolean NOT NULL DEFAULT false, f uuid, g jsonb, h text)', i);
                EXECUTE format('CREATE INDEX t%s_a ON t%s (a)', i, i);
              END LOOP;
            END $$;
            """, connection) { CommandTimeout = 0 })
        {
            await create.ExecuteNonQueryAsync();
        }

        await CatalogReader.ReadAsync(connection, ["stepwise"]); // warm-up
        var times = new List<double>();
        SchemaModel? model = null;
        for (var i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            model = await CatalogReader.ReadAsync(connection, ["stepwise"]);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        Console.WriteLine($"Inspect: {model!.Tables.Count:N0} tables, {model.Tables.Sum(t => t.Columns.Count):N0} columns, {model.Indexes.Count:N0} indexes, "
            + $"{model.Tables.Sum(t => t.Constraints.Count):N0} constraints; one query");
        Console.WriteLine();
        Console.WriteLine("| case | median ms | min ms | max ms |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| CatalogReader.ReadAsync | {times[2]:F0} | {times[0]:F0} | {times[^1]:F0} |");
    }
}
