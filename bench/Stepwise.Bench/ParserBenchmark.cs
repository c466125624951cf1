using System.Diagnostics;
using System.Text;
using Stepwise.Sql;

namespace Stepwise.Bench;

/// <summary>
/// Throughput of PostgreSQL's parser through Stepwise: a generated 10,000-statement script (DDL,
/// DML, functions, DO blocks), parsed with trees, split without trees, and with one syntax error
/// in every hundredth statement (the recovery path).
/// </summary>
internal static class ParserBenchmark
{
    private static readonly string[] s_shapes =
    [
        "CREATE TABLE t{0} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());",
        "ALTER TABLE t{0} ADD COLUMN organization_id uuid, ADD CONSTRAINT t{0}_fk FOREIGN KEY (organization_id) REFERENCES organizations (id) NOT VALID;",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS t{0}_idx ON t{0} (organization_id, created_at DESC) WHERE name <> 'é';",
        "UPDATE t{0} AS r SET organization_id = w.organization_id FROM workflows AS w WHERE w.id = r.id AND r.id BETWEEN {0} AND {0} + 5000;",
        "CREATE FUNCTION f{0}() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN NEW.x := coalesce(NEW.x, {0}); RETURN NEW; END $fn$;",
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 't{0}') THEN CREATE TABLE t{0} (a int); END IF; END $$;",
        "-- a comment about statement {0}\nCOMMENT ON COLUMN t{0}.name IS 'the name; with a semicolon';",
    ];

    public static Task RunAsync()
    {
        const int count = 10_000;
        var valid = Generate(count, errorEvery: 0);
        var broken = Generate(count, errorEvery: 100);
        var bytes = Encoding.UTF8.GetByteCount(valid);

        // Warm up: load the library, JIT.
        SqlParser.Parse(valid);
        SqlParser.Split(broken);

        Console.WriteLine($"Parser throughput: {count:N0} statements, {bytes / 1024.0:F0} KiB, 5 runs each");
        Console.WriteLine();
        Console.WriteLine("| case | median ms | min ms | max ms | statements/s | MiB/s |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        Report("parse (trees)", bytes, count, () => SqlParser.Parse(valid));
        Report("split (no trees)", bytes, count, () => SqlParser.Split(valid));
        Report("parse, 1% bad statements", bytes, count, () => SqlParser.Parse(broken));
        var script = SqlParser.Parse(valid);
        var bodies = script.Statements.Where(s => s.Tree?.Kind is "DoStmt" or "CreateFunctionStmt").ToList();
        Report($"PL/pgSQL bodies ({bodies.Count:N0})", 0, bodies.Count, () =>
        {
            foreach (var statement in bodies)
            {
                PlpgsqlParser.Parse(script, statement);
            }
        });
        return Task.CompletedTask;
    }

    private static string Generate(int count, int errorEvery)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            var statement = string.Format(s_shapes[i % s_shapes.Length], i);
            if (errorEvery > 0 && i % errorEvery == errorEvery - 1)
            {
                statement = statement.Replace("TABLE", "TABEL", StringComparison.Ordinal).Replace("SET", "SETT", StringComparison.Ordinal);
                statement = statement.Replace("ON ", "ONN ", StringComparison.Ordinal).Replace("LANGUAGE", "LANGUAG", StringComparison.Ordinal);
                statement = statement.Replace("DO $$", "DOO $$", StringComparison.Ordinal);
            }
            sb.Append(statement).Append('\n');
        }
        return sb.ToString();
    }

    private static void Report(string name, int bytes, int statements, Action action)
    {
        var times = new List<double>();
        for (var run = 0; run < 5; run++)
        {
            var watch = Stopwatch.StartNew();
            action();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        var median = times[times.Count / 2];
        var mib = bytes == 0 ? "" : $"{bytes / 1024.0 / 1024.0 / (median / 1000):F1}";
        Console.WriteLine($"| {name} | {median:F1} | {times[0]:F1} | {times[^1]:F1} | {statements / (median / 1000):N0} | {mib} |");
    }
}
