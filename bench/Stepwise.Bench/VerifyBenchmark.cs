using System.Globalization;
using Stepwise.Verification;

namespace Stepwise.Bench;

/// <summary>
/// <c>stepwise verify</c> on 200 migrations with down sections (tables, columns, indexes in and out of a
/// transaction, constraints), TempPostgres start included: in-process and as a CLI process.
/// </summary>
internal static class VerifyBenchmark
{
    private const int Count = 200;

    public static async Task RunAsync()
    {
        var scratch = BenchSupport.CreateScratch("verify");
        try
        {
            var directory = Directory.CreateDirectory(Path.Combine(scratch.FullName, "migrations")).FullName;
            for (var n = 1; n <= Count; n++)
            {
                var table = $"t{(n - 1) / 5 * 5 + 1}";
                var (up, down) = ((n - 1) % 5) switch
                {
                    0 => ($"CREATE TABLE {table} (id bigint PRIMARY KEY, a int, b text, created_at timestamptz NOT NULL DEFAULT now());\n" +
                          $"INSERT INTO {table} (id, a, b) SELECT g, g % 100, 'row ' || g FROM generate_series(1, 1000) g;",
                          $"DROP TABLE {table};"),
                    1 => ($"ALTER TABLE {table} ADD COLUMN c int;\nCOMMENT ON COLUMN {table}.c IS 'added';", $"ALTER TABLE {table} DROP COLUMN c;"),
                    2 => ($"CREATE INDEX {table}_a ON {table} (a);", $"DROP INDEX {table}_a;"),
                    3 => ($"CREATE INDEX CONCURRENTLY {table}_b ON {table} (b);", $"DROP INDEX CONCURRENTLY {table}_b;"),
                    _ => ($"ALTER TABLE {table} ADD CONSTRAINT {table}_a_positive CHECK (a >= 0) NOT VALID;\nALTER TABLE {table} VALIDATE CONSTRAINT {table}_a_positive;",
                          $"ALTER TABLE {table} DROP CONSTRAINT {table}_a_positive;"),
                };
                File.WriteAllText(Path.Combine(directory, $"{n.ToString("D3", CultureInfo.InvariantCulture)}_step.sql"), $"-- stepwise:up\n{up}\n-- stepwise:down\n{down}\n");
            }

            var library = await BenchSupport.TimeAsync(async () =>
            {
                var report = await Verifier.VerifyAsync(directory);
                if (report.Problems.Count > 0)
                {
                    throw new BenchSetupException("verify failed: " + report.Problems[0].Message);
                }
            });
            var cli = await BenchSupport.TimeProcessAsync("dotnet", [BenchSupport.StepwiseCliDll(), "verify", "--dir", directory, "--format", "json"], scratch.FullName);

            Console.WriteLine($"Verify: {Count} migrations (each applied, rolled back, re-applied, its locks measured), TempPostgres start included; {BenchSupport.Machine()}");
            Console.WriteLine();
            Console.WriteLine("| case | wall s | client CPU s | per migration ms |");
            Console.WriteLine("|---|---:|---:|---:|");
            Console.WriteLine($"| Verifier.VerifyAsync (in-process) | {library.WallMs / 1000:F1} | {library.CpuMs / 1000:F1} | {library.WallMs / Count:F0} |");
            Console.WriteLine($"| stepwise verify (process) | {cli.WallMs / 1000:F1} | {cli.CpuMs / 1000:F1} | {cli.WallMs / Count:F0} |");
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }
}
