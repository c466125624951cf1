using System.Diagnostics;
using System.Text;
using Stepwise.Linting;
using Stepwise.Sql;

namespace Stepwise.Bench;

/// <summary>
/// Lint throughput on a generated corpus of 1,000 migration files (20 statements each: tables, ALTER
/// TABLE of every common kind, indexes, backfills, functions, DO blocks), against the parser alone on
/// the same corpus; and the whole <c>stepwise lint</c> process on it, start-up included.
/// </summary>
internal static class LintBenchmark
{
    /// <summary>The statement shapes of the corpus ({0}: a number that makes names unique).</summary>
    internal static readonly string[] Shapes =
    [
        "CREATE TABLE t{0} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());",
        "ALTER TABLE workflow_runs ADD COLUMN c{0} uuid;",
        "ALTER TABLE workflow_runs ADD CONSTRAINT fk{0} FOREIGN KEY (c{0}) REFERENCES organizations (id) NOT VALID;",
        "ALTER TABLE workflow_runs VALIDATE CONSTRAINT fk{0};",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS i{0} ON workflow_runs (c{0}, created_at DESC) WHERE state <> 'done';",
        "UPDATE workflow_runs AS r SET c{0} = w.organization_id FROM workflows AS w WHERE w.id = r.workflow_id AND r.id BETWEEN {0} AND {0} + 5000;",
        "CREATE INDEX i{0}_plain ON workflow_runs (state);",
        "ALTER TABLE workflow_runs ALTER COLUMN state SET NOT NULL;",
        "ALTER TABLE t{0} ADD COLUMN flag boolean NOT NULL DEFAULT false;",
        "CREATE OR REPLACE FUNCTION fill_{0}() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN NEW.c{0} := coalesce(NEW.c{0}, gen_random_uuid()); RETURN NEW; END $fn$;",
        "CREATE TRIGGER trg_{0} BEFORE INSERT ON workflow_runs FOR EACH ROW EXECUTE FUNCTION fill_{0}();",
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'x{0}') THEN CREATE TABLE x{0} (a int); END IF; END $$;",
        "COMMENT ON COLUMN workflow_runs.c{0} IS 'organization of the run; backfilled';",
        "ALTER TABLE workflow_runs RENAME COLUMN old_{0} TO new_{0};",
        "CREATE VIEW v{0} AS SELECT r.id, r.state, w.organization_id FROM workflow_runs r JOIN workflows w ON w.id = r.workflow_id;",
        "DELETE FROM audit_log WHERE created_at < now() - interval '90 days' AND id < {0};",
        "ALTER TABLE t{0} ALTER COLUMN name TYPE varchar(200);",
        "INSERT INTO settings (key, value) VALUES ('k{0}', '{{\"a\": {0}}}') ON CONFLICT (key) DO UPDATE SET value = excluded.value;",
        "DROP INDEX CONCURRENTLY IF EXISTS old_i{0};",
        "GRANT SELECT ON workflow_runs TO reporting;",
    ];

    public static async Task RunAsync()
    {
        const int files = 1000;
        var directory = Directory.CreateTempSubdirectory("stepwise-lint-bench-").FullName;
        try
        {
            var texts = new List<(string Name, string Text)>();
            for (var f = 0; f < files; f++)
            {
                var sb = new StringBuilder("-- stepwise:up\n");
                AppendStatements(sb, f);
                var name = $"{f + 1}_m{f}.sql";
                await File.WriteAllTextAsync(Path.Combine(directory, name), sb.ToString());
                texts.Add((name, sb.ToString()));
            }
            var statements = files * Shapes.Length;
            var linter = new Linter();
            var findings = linter.Lint(texts[0].Text, texts[0].Name).Findings.Count;

            Console.WriteLine($"Lint throughput: {files:N0} files, {statements:N0} statements, {texts.Sum(t => t.Text.Length) / 1024:N0} KiB, {Environment.ProcessorCount} cores; {findings} findings per file");
            Console.WriteLine();
            Console.WriteLine("| case | median ms | min ms | statements/s |");
            Console.WriteLine("|---|---:|---:|---:|");
            var parseSerial = Measure("parser alone (SqlParser.Parse, trees read), 1 thread", statements, () =>
            {
                foreach (var (_, text) in texts)
                {
                    foreach (var s in SqlParser.Parse(text).Statements)
                    {
                        _ = s.Tree?.Root;
                    }
                }
            });
            var lintSerial = Measure("lint, 1 thread", statements, () =>
            {
                foreach (var (name, text) in texts)
                {
                    linter.Lint(text, name);
                }
            });
            var parseParallel = Measure("parser alone, all cores", statements, () => Parallel.ForEach(texts, t =>
            {
                foreach (var s in SqlParser.Parse(t.Text).Statements)
                {
                    _ = s.Tree?.Root;
                }
            }));
            var lintParallel = Measure("lint, all cores (as stepwise lint does)", statements, () => Parallel.ForEach(texts, t => linter.Lint(t.Text, t.Name)));
            var splitParallel = Measure("split only (libpg_query's grammar, no trees), all cores", statements, () => Parallel.ForEach(texts, t => SqlParser.Split(t.Text)));

            var cli = CliPath();
            var process = cli is null ? double.NaN : Measure("stepwise lint process on the directory (start-up included)", statements, () => RunCli(cli, directory), runs: 3);
            Console.WriteLine();
            Console.WriteLine($"lint / parser throughput: {parseSerial / lintSerial:F2} (1 thread), {parseParallel / lintParallel:F2} (all cores); lint / split: {splitParallel / lintParallel:F2}");
            if (cli is null)
            {
                Console.WriteLine("(build src/Stepwise.Cli in Release to time the process)");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The corpus' statements of file <paramref name="file"/>, one a line: one of each shape.</summary>
    internal static void AppendStatements(StringBuilder sb, int file)
    {
        for (var s = 0; s < Shapes.Length; s++)
        {
            sb.Append(string.Format(System.Globalization.CultureInfo.InvariantCulture, Shapes[s], (file * 100) + s)).Append('\n');
        }
    }

    private static string? CliPath()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Stepwise.slnx")))
        {
            dir = Path.GetDirectoryName(dir);
        }
        var dll = dir is null ? null : Path.Combine(dir, "src", "Stepwise.Cli", "bin", "Release", "net10.0", "Stepwise.Cli.dll");
        return dll is not null && File.Exists(dll) ? dll : null;
    }

    private static void RunCli(string cli, string directory)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(cli);
        info.ArgumentList.Add("lint");
        info.ArgumentList.Add("--dir");
        info.ArgumentList.Add(directory);
        info.ArgumentList.Add("--format");
        info.ArgumentList.Add("json");
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode > 1)
        {
            throw new InvalidOperationException("stepwise lint failed: " + output.Result);
        }
    }

    /// <summary>Median wall time of the runs, printed as a table row; returns the median in ms.</summary>
    private static double Measure(string name, int statements, Action action, int runs = 5)
    {
        action(); // warm-up: JIT, library load
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        var median = times[times.Count / 2];
        Console.WriteLine($"| {name} | {median:F0} | {times[0]:F0} | {statements / (median / 1000):N0} |");
        return median;
    }
}
