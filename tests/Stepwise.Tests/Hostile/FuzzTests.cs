using System.Diagnostics;
using System.Globalization;
using System.Text;
using Stepwise.Diagnostics;
using Stepwise.Linting;
using Stepwise.Linting.Reporters;
using Stepwise.Migrations;
using Stepwise.Operations;
using Stepwise.Sql;
using Xunit.Abstractions;

namespace Stepwise.Tests.Hostile;

/// <summary>
/// Mutated migrations through the parser, the linter (text report) and the operation-file reader: no
/// exception, output bounded per finding (so linear in the input), bounded allocation and time per input.
/// A few thousand inputs per run; <c>STEPWISE_FUZZ_COUNT</c> sets more, <c>STEPWISE_FUZZ_SEED</c> replays a run.
/// </summary>
public class FuzzTests(ITestOutputHelper log)
{
    private const int DefaultCount = 2000;

    private static readonly string[] SqlSeeds =
    [
        "-- stepwise:up\nCREATE TABLE t (id bigint PRIMARY KEY, name text NOT NULL DEFAULT 'x');\n-- stepwise:down\nDROP TABLE t;\n",
        "-- stepwise:up\n-- stepwise:no-transaction\nCREATE INDEX CONCURRENTLY t_idx ON t (name);\n",
        "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 1;\nUPDATE t SET c = 2 WHERE id < 10;\nBEGIN;\nCOMMIT;\n",
        "DO $$ BEGIN EXECUTE 'ALTER TABLE t DROP COLUMN c'; END $$;\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $f$ BEGIN RETURN 1; END $f$;\n",
        "-- stepwise:ignore require-concurrent-index-creation -- small\nCREATE INDEX i ON t (a);\n\\connect other\nSELECT E'\\\\x', $tag$ text $tag$, \"quoted \"\" id\";\n",
        "-- stepwise:up\n-- stepwise:assert no_nulls\nSELECT 1 FROM t WHERE c IS NULL;\nINSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');\n",
    ];

    private static readonly string[] OperationSeeds =
    [
        "operations:\n  - add_column:\n      table: t\n      column: {name: c, type: int, nullable: false, default: '1'}\n      up: id * 2\n",
        "operations:\n  - create_index: {name: i, table: t, columns: [a, b], predicate: a > 0, method: btree}\n  - sql: {up: SELECT 1, down: SELECT 2}\n",
        "{\"operations\": [{\"create_table\": {\"name\": \"t\", \"columns\": [{\"name\": \"id\", \"type\": \"bigint\", \"pk\": true}]}}]}\n",
        "operations:\n  - alter_column:\n      table: t\n      column: c\n      check: {name: c_pos, constraint: c > 0}\n      up: abs(c)\n  - drop_column: {table: t, column: old}\n",
    ];

    private static readonly string[] Fragments =
    [
        "\0", "\uFFFF", "\uFFFE", "\u001b[2J", "\u202E", "\r", "\r\n", "\t", "'", "\"", "$$", "$x$", "/*", "*/", "--", ";", "\\", "\n",
        "BEGIN;", "COMMIT;", "-- stepwise:up\n", "-- stepwise:down\n", "-- stepwise:bogus\n", "E'", "😀", "\uD800", "&a ", "*a ", "[", "]", "{", "}",
        ": ", "- ", "---\n", "? ", "!!binary ", "%YAML 1.2\n",
    ];

    [Fact]
    public void Mutated_inputs_never_crash_and_cost_output_memory_and_time_proportional_to_their_size()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("STEPWISE_FUZZ_COUNT"), CultureInfo.InvariantCulture, out var n) ? n : DefaultCount;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("STEPWISE_FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Environment.TickCount;
        var random = new Random(seed);
        var linter = new Linter();
        var slowest = (Time: TimeSpan.Zero, Length: 0);
        LintText(linter, SqlSeeds[0]); // loads the parser and the rules, so the time bound measures the input
        ReadOperations(OperationSeeds[0]);
        for (var i = 0; i < count; i++)
        {
            var operations = i % 4 == 3;
            var seeds = operations ? OperationSeeds : SqlSeeds;
            var input = Mutate(seeds[random.Next(seeds.Length)], random);
            var clock = Stopwatch.StartNew();
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            string output;
            try
            {
                output = operations ? ReadOperations(input) : LintText(linter, input);
            }
            catch (Exception ex)
            {
                Assert.Fail($"input {i} (STEPWISE_FUZZ_SEED={seed}) threw {ex.GetType().Name}: {ex.Message}\ninput: {Printable.Escape(input)}");
                return;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            slowest = clock.Elapsed > slowest.Time ? (clock.Elapsed, input.Length) : slowest;
            Assert.True(output.Length <= 2_000 + 600 * input.Length,
                $"input {i} (STEPWISE_FUZZ_SEED={seed}): {output.Length} characters of output for {input.Length}\ninput: {Printable.Escape(input)}");
            Assert.True(allocated <= 32_000_000 + 20_000L * input.Length,
                $"input {i} (STEPWISE_FUZZ_SEED={seed}): {allocated} bytes allocated for {input.Length} characters");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"input {i} (STEPWISE_FUZZ_SEED={seed}) took {clock.Elapsed}");
            Assert.DoesNotContain('\0', output);
            Assert.DoesNotContain('\uFFFF', output);
            Assert.DoesNotContain('\u001b', output);
        }
        log.WriteLine($"fuzz: {count} mutated inputs (STEPWISE_FUZZ_SEED={seed}), slowest {slowest.Time.TotalMilliseconds:F0} ms ({slowest.Length} characters)");
    }

    private static string LintText(Linter linter, string input)
    {
        var result = linter.Lint(input, "fuzz.sql");
        var writer = new StringWriter();
        new TextLintReporter().Write(new LintReport([result], Linter.AllRules), writer);
        foreach (var error in SqlParser.Parse(input, "fuzz.sql").Errors)
        {
            writer.Write(error.ToString());
        }
        return writer.ToString();
    }

    private static string ReadOperations(string input)
    {
        var problems = new List<MigrationProblem>();
        OperationFileReader.Read(input, "fuzz.yaml", problems);
        return Printable.Escape(string.Join('\n', problems));
    }

    /// <summary>A few edits: fragments that open or close quotes, comments and sections inserted, chunks repeated, deleted or cut.</summary>
    private static string Mutate(string seed, Random random)
    {
        var text = new StringBuilder(seed);
        for (var edits = random.Next(1, 6); edits > 0; edits--)
        {
            var at = random.Next(text.Length + 1);
            switch (random.Next(5))
            {
                case 0:
                case 1:
                    text.Insert(at, Fragments[random.Next(Fragments.Length)]);
                    break;
                case 2 when text.Length > 0:
                    var length = Math.Min(text.Length - at, random.Next(1, 40));
                    var chunk = text.ToString(Math.Min(at, text.Length - length), length);
                    text.Insert(at, string.Concat(Enumerable.Repeat(chunk, random.Next(2, 50))));
                    break;
                case 3 when at < text.Length:
                    text.Remove(at, Math.Min(text.Length - at, random.Next(1, 20)));
                    break;
                default:
                    text.Length = Math.Min(text.Length, at);
                    break;
            }
        }
        return text.ToString();
    }
}
