using Stepwise.Linting;

namespace Stepwise.Tests.Linting;

public class RulesReferenceTests
{
    [Fact]
    public void Docs_rules_md_is_generated_from_the_rule_classes()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Stepwise.slnx")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        }
        var committed = File.ReadAllText(Path.Combine(root, "docs", "rules.md"));

        Assert.True(committed == RulesReference.Markdown(),
            "docs/rules.md is out of date: run  dotnet run --project src/Stepwise.Cli -- lint --rules-markdown > docs/rules.md");
    }

    [Fact]
    public void Every_rule_has_a_section()
    {
        var markdown = RulesReference.Markdown();

        Assert.All(Linter.AllRules, r => Assert.Contains($"\n## {r.Id}\n", markdown));
    }
}
