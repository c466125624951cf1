using Stepwise.Linting;
using Stepwise.Linting.Rules;

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
