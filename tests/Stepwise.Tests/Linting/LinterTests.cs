using Stepwise.Linting;
using Stepwise.Linting.Rules;
using Stepwise.Sql;

namespace Stepwise.Tests.Linting;

public class LinterTests
{
    [Fact]
    public void Every_rule_type_is_listed_with_a_unique_kebab_case_id_and_documentation()
    {
        // The list is written out (trimming and Native AOT need it so): a rule type missing from it would never run.
        var ruleTypes = typeof(LintRule).Assembly.GetTypes().Where(t => !t.IsAbstract && t.IsSubclassOf(typeof(LintRule)));
        Assert.Equal(ruleTypes.Select(t => t.FullName).Order(StringComparer.Ordinal), Linter.AllRules.Select(r => r.GetType().FullName).Order(StringComparer.Ordinal));
        Assert.NotEmpty(Linter.AllRules);
        Assert.Equal(Linter.AllRules.Count, Linter.AllRules.Select(r => r.Id).Distinct().Count());
        Assert.All(Linter.AllRules, r =>
        {
            Assert.Matches("^[a-z]+(-[a-z0-9]+)*$", r.Id);
            Assert.False(string.IsNullOrWhiteSpace(r.Title));
            Assert.False(string.IsNullOrWhiteSpace(r.Why));
            Assert.False(string.IsNullOrWhiteSpace(r.Fix));
            Assert.False(string.IsNullOrWhiteSpace(r.FixExample));
            Assert.Equal(r.GetType().Name, string.Concat(r.Id.Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..])));
        });
    }

    [Fact]
    public void Findings_on_other_tables_never_carry_the_reference_examples_canned_names()
    {
        var result = new Linter().Lint("""
            ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);
            ALTER TABLE orders ALTER COLUMN note SET NOT NULL;
            CREATE INDEX orders_note ON orders (note);
            ALTER TABLE orders ALTER COLUMN total TYPE numeric;
            UPDATE orders SET note = '';
            """, "m.sql");

        Assert.True(result.Findings.Count >= 5);
        Assert.All(result.Findings, f => Assert.DoesNotContain("workflow_runs", f.Fix));
        Assert.All(result.Findings, f => Assert.False(string.IsNullOrWhiteSpace(f.Fix)));
    }

    [Fact]
    public void A_name_stands_in_an_example_as_the_regex_of_whole_names_says()
    {
        // The scan replaced a regex built per finding; it must answer as that regex did, on every rule's example and on edge cases.
        var texts = Linter.AllRules.Select(r => r.FixExample).Concat(["a.b \"c\" d_e éx x\u200Cy x\u0301 1x x1 (x) x", "", "x", "xx x.x \"x\""]).ToList();
        var names = new[] { "workflow_runs", "orders", "x", "b", "c", "d", "e", "ex", "éx", "y", "", "a.b", "runs", "workflow", "x1", "1x" };
        foreach (var text in texts)
        {
            foreach (var name in names)
            {
                var expected = System.Text.RegularExpressions.Regex.IsMatch(text, $@"(?<![\w.""]){System.Text.RegularExpressions.Regex.Escape(name)}(?![\w""])");
                Assert.True(expected == LintRule.NamesWord(text, name), $"'{name}' in '{text}': the regex says {expected}");
            }
        }
        Assert.False(LintRule.NamesWord("a b", null));
    }

    [Fact]
    public void A_file_linted_in_windows_gives_the_findings_of_one_window_including_look_backs_across_window_edges()
    {
        // Each look-back pair is split by filler, so that with 1 KiB windows the earlier statement is in a window linted and
        // let go long before the later one: what the later one finds depends on facts kept of the earlier.
        var filler = string.Concat(Enumerable.Range(0, 40).Select(i => $"COMMENT ON TABLE filler IS 'padding statement {i} between the two halves of a look-back pair';\n"));
        var sql = string.Join(filler, [
            "SET lock_timeout = '2s';",
            "CREATE TABLE fresh (id int, note text);",
            "ALTER TABLE orders ADD CONSTRAINT orders_note_present CHECK (note IS NOT NULL) NOT VALID;",
            "ALTER TABLE orders VALIDATE CONSTRAINT orders_note_present;",
            "ALTER TABLE orders ALTER COLUMN note SET NOT NULL;",                 // proven by the validated CHECK: no setting-not-null
            "ALTER TABLE orders ALTER COLUMN total SET NOT NULL;",                // nothing proves it: setting-not-null
            "ALTER TABLE fresh ALTER COLUMN note TYPE varchar(20);",              // fresh was created above: no rewrite of a live table
            "CREATE INDEX orders_note_idx ON orders (note);",
            "DROP INDEX orders_note_idx;",                                        // the table is known from the CREATE INDEX far above
            "DROP INDEX CONCURRENTLY IF EXISTS orders_total_idx;",
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_total_idx ON orders (total);",
            "BEGIN;",
            "UPDATE orders SET note = '' WHERE note IS NULL;",
            "ALTER TABLE orders ADD COLUMN flag boolean;",                        // after a data change in the same transaction
            "COMMIT;",
            "SELEC 1;",                                                           // a syntax error does not stop the windows
            "CREATE RULE keep AS ON DELETE TO orders DO INSTEAD (UPDATE orders SET note = 'gone'; SELECT 1);",
            "ALTER TABLE orders ALTER COLUMN created_at TYPE timestamptz;",
        ]);
        Assert.True(sql.Length > 20 * 1024);

        var whole = new Linter { WindowBytes = int.MaxValue }.Lint(sql, "big.sql");
        var windowed = new Linter { WindowBytes = 1024 }.Lint(sql, "big.sql");
        Assert.True(SqlParser.ParseInWindows(sql, "big.sql", CancellationToken.None, 1024).Count > 10);

        Assert.Equal(whole.Statements, windowed.Statements);
        Assert.Equal(whole.Findings.Select(Describe), windowed.Findings.Select(Describe));
        // The look-backs found what lies windows back.
        Assert.Equal(["ALTER TABLE orders ALTER COLUMN total SET NOT NULL"], windowed.Findings.Where(f => f.RuleId == "setting-not-null").Select(f => f.Statement));
        Assert.DoesNotContain(windowed.Findings, f => f.Statement.Contains("TABLE fresh", StringComparison.Ordinal) && f.RuleId == "changing-column-type");
        Assert.DoesNotContain(windowed.Findings, f => f.RuleId == "require-lock-timeout");
        Assert.DoesNotContain(windowed.Findings, f => f.RuleId == "prefer-robust-statements" && f.Statement.Contains("orders_total_idx", StringComparison.Ordinal));
        Assert.Contains(windowed.Findings, f => f.RuleId == "require-concurrent-index-deletion" && f.Message.Contains("orders", StringComparison.Ordinal));
        Assert.Equal(["SELEC"], windowed.Findings.Where(f => f.RuleId == "syntax-error").Select(f => f.Excerpt!.Text.Trim()[..5]));
        Assert.Equal(whole.Findings.OrderBy(f => f.Line).ThenBy(f => f.Column).ThenBy(f => f.RuleId, StringComparer.Ordinal).Select(Describe), windowed.Findings.Select(Describe));

        // Without the earlier halves, the later statements are found: the test above could fail.
        var alone = new Linter { WindowBytes = 1024 }.Lint("ALTER TABLE orders ALTER COLUMN note SET NOT NULL;\nALTER TABLE fresh ALTER COLUMN note TYPE varchar(20);\n", "alone.sql");
        Assert.Contains(alone.Findings, f => f.RuleId == "setting-not-null");
        Assert.Contains(alone.Findings, f => f.RuleId == "changing-column-type");
        Assert.Contains(alone.Findings, f => f.RuleId == "require-lock-timeout");

        // A SQL-standard function body holds semicolons only the grammar knows are not statement ends: such a file is cut
        // where the grammar says, and its body is not read as statements of the file.
        var atomic = sql + "\nCREATE FUNCTION one() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n" + filler;
        Assert.Equal(new Linter { WindowBytes = int.MaxValue }.Lint(atomic, "big.sql").Findings.Select(Describe), new Linter { WindowBytes = 1024 }.Lint(atomic, "big.sql").Findings.Select(Describe));

        static string Describe(LintFinding f) => $"{f.Line}:{f.Column} {f.RuleId} {f.Severity} {f.Message} | {f.Fix} | {f.Statement}";
    }

    [Fact]
    public void A_syntax_error_is_a_finding_and_linting_goes_on()
    {
        var result = new Linter().Lint("CREATE INDEX i ON t (a);\nSELEC 1;\nCREATE INDEX j ON t (b);\n", "m.sql");

        Assert.Contains(result.Findings, f => f.RuleId == "syntax-error" && f.Line == 2 && f.Severity == LintSeverity.Error);
        Assert.Equal(2, result.Findings.Count(f => f.RuleId == "require-concurrent-index-creation"));
    }

    [Fact]
    public void Stepwise_migration_sections_know_their_transaction_mode()
    {
        var linter = new Linter(null, [new ConcurrentInTransaction()]);

        var autoSplit = linter.Lint("-- stepwise:up\nCREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY i ON t (a);\n", "1_a.sql");
        var plainBegin = linter.Lint("BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;\nCREATE INDEX CONCURRENTLY j ON t (a);\n", "x.sql");
        var assumed = new Linter(new LintOptions { AssumeInTransaction = true }, [new ConcurrentInTransaction()]).Lint("CREATE INDEX CONCURRENTLY i ON t (a);", "x.sql");
        var inDo = linter.Lint("DO $$ BEGIN EXECUTE 'CREATE INDEX CONCURRENTLY i ON t (a)'; END $$;", "x.sql");

        Assert.Empty(autoSplit.Findings);
        Assert.Equal(2, Assert.Single(plainBegin.Findings).Line);
        Assert.Single(assumed.Findings);
        Assert.Contains("inside a DO block", Assert.Single(inDo.Findings).Message);
    }

    [Fact]
    public void Configuration_turns_rules_off_or_changes_their_severity()
    {
        var off = new LintOptions();
        off.Severities["require-concurrent-index-creation"] = LintSeverity.Off;
        var info = new LintOptions();
        info.Severities["require-concurrent-index-creation"] = LintSeverity.Info;

        Assert.DoesNotContain(new Linter(off).Lint("CREATE INDEX i ON t (a);", "m.sql").Findings, f => f.RuleId == "require-concurrent-index-creation");
        Assert.Equal(LintSeverity.Info, new Linter(info).Lint("CREATE INDEX i ON t (a);", "m.sql").Findings.Single(f => f.RuleId == "require-concurrent-index-creation").Severity);
    }

    [Fact]
    public void Bad_ignores_are_reported()
    {
        var result = new Linter().Lint("""
            -- stepwise:ignore require-concurent-index-creation -- typo
            CREATE INDEX i ON t (a);
            -- stepwise:ignore require-concurrent-index-creation
            CREATE INDEX j ON t (a);
            -- stepwise:ignore-file concurrent-in-transaction -- whole file runs by hand
            """, "m.sql");

        var bad = result.Findings.Where(f => f.RuleId == "bad-ignore").ToList();
        Assert.Contains(bad, f => f.Line == 1 && f.Severity == LintSeverity.Error && f.Message.Contains("unknown rule 'require-concurent-index-creation'"));
        Assert.Contains(bad, f => f.Line == 3 && f.Severity == LintSeverity.Warning && f.Message.Contains("without a reason"));
        Assert.Equal([2], result.Findings.Where(f => f.RuleId == "require-concurrent-index-creation").Select(f => f.Line));
    }
}
