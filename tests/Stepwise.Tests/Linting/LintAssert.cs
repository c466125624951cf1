using Stepwise.Linting;

namespace Stepwise.Tests.Linting;

/// <summary>Runs one rule over SQL and returns its findings (plain SQL unless the text has stepwise markers).</summary>
internal static class LintAssert
{
    public static IReadOnlyList<LintFinding> Findings<TRule>(string sql, LintOptions? options = null) where TRule : LintRule, new() =>
        new Linter(options, [new TRule()]).Lint(sql, "m.sql").Findings.Where(f => f.RuleId == new TRule().Id).ToList();

    public static LintFinding Flags<TRule>(string sql, LintOptions? options = null) where TRule : LintRule, new() =>
        Assert.Single(Findings<TRule>(sql, options));

    public static void Passes<TRule>(string sql, LintOptions? options = null) where TRule : LintRule, new() =>
        Assert.Empty(Findings<TRule>(sql, options));
}
