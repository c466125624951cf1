using System.Reflection;
using System.Text.Json.Nodes;

namespace Stepwise.Linting.Reporters;

/// <summary>SARIF 2.1.0, with rule metadata and help text, for code-scanning upload.</summary>
public sealed class SarifLintReporter : ILintReporter
{
    /// <inheritdoc />
    public void Write(LintReport report, TextWriter writer)
    {
        var rules = report.Rules.OrderBy(r => r.Id, StringComparer.Ordinal).ToList();
        var index = rules.Select((r, i) => (r.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var version = typeof(LintRule).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";
        var document = new JsonObject
        {
            ["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json",
            ["version"] = "2.1.0",
            ["runs"] = new JsonArray(new JsonObject
            {
                ["tool"] = new JsonObject
                {
                    ["driver"] = new JsonObject
                    {
                        ["name"] = "stepwise",
                        ["semanticVersion"] = version,
                        ["rules"] = JsonLintReporter.Array(rules, r => new JsonObject
                        {
                            ["id"] = r.Id,
                            ["name"] = r.GetType().Name,
                            ["shortDescription"] = Text(r.Title),
                            ["fullDescription"] = Text(r.Why),
                            ["help"] = new JsonObject { ["text"] = $"{r.Fix}\n\n{r.FixExample}", ["markdown"] = $"{r.Fix}\n\n```sql\n{r.FixExample}\n```" },
                            ["defaultConfiguration"] = new JsonObject { ["level"] = Level(r.DefaultSeverity) },
                            ["properties"] = new JsonObject { ["tags"] = JsonLintReporter.Array(Tags(r), t => t) },
                        }),
                    },
                },
                ["results"] = JsonLintReporter.Array(report.Findings, f =>
                {
                    var result = new JsonObject { ["ruleId"] = f.RuleId };
                    if (index.TryGetValue(f.RuleId, out var i))
                    {
                        result["ruleIndex"] = i;
                    }
                    result["level"] = Level(f.Severity);
                    result["message"] = Text(f.Fix is null ? f.Message : $"{f.Message} Fix: {f.Fix.Split('\n')[0]}");
                    result["locations"] = new JsonArray(new JsonObject
                    {
                        ["physicalLocation"] = new JsonObject
                        {
                            ["artifactLocation"] = new JsonObject { ["uri"] = LintReporters.Path(f.File) },
                            ["region"] = new JsonObject { ["startLine"] = f.Line, ["startColumn"] = f.Column, ["endLine"] = Math.Max(f.Line, f.EndLine) },
                        },
                    });
                    result["partialFingerprints"] = new JsonObject { ["stepwiseFinding"] = GitLabLintReporter.Fingerprint(f) };
                    return result;
                }),
            }),
        };
        JsonLintReporter.Write(document, writer);
    }

    private static JsonObject Text(string text) => new() { ["text"] = text };

    private static string Level(LintSeverity severity) => severity switch
    {
        LintSeverity.Error => "error",
        LintSeverity.Warning => "warning",
        LintSeverity.Info => "note",
        _ => "none",
    };

    private static string[] Tags(LintRule rule) => rule.Lock is { } level ? ["postgresql", "migration", "lock:" + level] : ["postgresql", "migration"];
}
