using System.Text.Json;
using Stepwise.Linting;
using Stepwise.Linting.Reporters;

namespace Stepwise.Tests.Linting;

public class ReporterTests
{
    private static LintReport Report(string sql = "CREATE INDEX i ON workflow_runs (a);\nSELEC 1;\n", string file = "migrations/1_a.sql") =>
        new([new Linter().Lint(sql, file)], Linter.AllRules);

    private static string Write(string format, LintReport report)
    {
        using var writer = new StringWriter();
        LintReporters.For(format).Write(report, writer);
        return writer.ToString();
    }

    [Fact]
    public void Sarif_has_rule_metadata_results_with_locations_and_levels()
    {
        using var sarif = JsonDocument.Parse(Write("sarif", Report()));
        var root = sarif.RootElement;
        var run = root.GetProperty("runs")[0];
        var rules = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray().ToList();
        var results = run.GetProperty("results").EnumerateArray().ToList();

        Assert.Equal("2.1.0", root.GetProperty("version").GetString());
        Assert.Equal(Linter.AllRules.Count, rules.Count);
        Assert.All(rules, r => Assert.False(string.IsNullOrEmpty(r.GetProperty("help").GetProperty("text").GetString())));
        var index = results.Single(r => r.GetProperty("ruleId").GetString() == "require-concurrent-index-creation");
        Assert.Equal("error", index.GetProperty("level").GetString());
        Assert.Equal("require-concurrent-index-creation", rules[index.GetProperty("ruleIndex").GetInt32()].GetProperty("id").GetString());
        var region = index.GetProperty("locations")[0].GetProperty("physicalLocation");
        Assert.Equal("migrations/1_a.sql", region.GetProperty("artifactLocation").GetProperty("uri").GetString());
        Assert.Equal(1, region.GetProperty("region").GetProperty("startLine").GetInt32());
        var syntax = results.Single(r => r.GetProperty("ruleId").GetString() == "syntax-error");
        Assert.False(syntax.TryGetProperty("ruleIndex", out _));
    }

    [Fact]
    public void GitHub_annotations_escape_their_data()
    {
        var report = new LintReport([new LintResult("a,b:c.sql", [new LintFinding
        {
            RuleId = "x", Severity = LintSeverity.Warning, File = "a,b:c.sql", Line = 3, Column = 2, EndLine = 4, Message = "100% bad\nreally",
        }], 1)], []);

        var line = Write("github", report);

        Assert.Equal("::warning file=a%2Cb%3Ac.sql,line=3,endLine=4,col=2,title=stepwise x::100%25 bad%0Areally\n", line);
    }

    [Fact]
    public void GitLab_fingerprints_survive_lines_moving_and_differ_between_statements()
    {
        string Fingerprint(string sql) => JsonDocument.Parse(Write("gitlab", Report(sql))).RootElement
            .EnumerateArray().First(i => i.GetProperty("check_name").GetString() == "require-concurrent-index-creation").GetProperty("fingerprint").GetString()!;

        var original = Fingerprint("CREATE INDEX i ON workflow_runs (a);");
        var moved = Fingerprint("-- a comment\n\nCREATE INDEX i ON workflow_runs (a);");
        var other = Fingerprint("CREATE INDEX j ON workflow_runs (b);");

        Assert.Equal(original, moved);
        Assert.NotEqual(original, other);
        using var gitlab = JsonDocument.Parse(Write("gitlab", Report()));
        var issue = gitlab.RootElement[0];
        Assert.Equal("critical", issue.GetProperty("severity").GetString());
        Assert.Equal(1, issue.GetProperty("location").GetProperty("lines").GetProperty("begin").GetInt32());
    }

    [Fact]
    public void Text_shows_place_rule_caret_fix_and_summary()
    {
        var text = Write("text", Report());

        Assert.Contains("migrations/1_a.sql:1:1: error [require-concurrent-index-creation] CREATE INDEX without CONCURRENTLY takes SHARE on workflow_runs", text);
        Assert.Contains("    CREATE INDEX i ON workflow_runs (a);\n    ^\n", text);
        Assert.Contains("    fix: CREATE INDEX CONCURRENTLY", text);
        Assert.Contains("migrations/1_a.sql:2:1: error [syntax-error]", text);
        Assert.EndsWith("1 file(s), 1 statement(s): 2 error(s), 0 warning(s), 0 info\n", text);
    }
}
