using System.Reflection;
using System.Text.Json;

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
        var document = new Dictionary<string, object>
        {
            ["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json",
            ["version"] = "2.1.0",
            ["runs"] = new[]
            {
                new
                {
                    tool = new
                    {
                        driver = new
                        {
                            name = "stepwise",
                            semanticVersion = version,
                            rules = rules.Select(r => new
                            {
                                id = r.Id,
                                name = r.GetType().Name,
                                shortDescription = new { text = r.Title },
                                fullDescription = new { text = r.Why },
                                help = new { text = $"{r.Fix}\n\n{r.FixExample}", markdown = $"{r.Fix}\n\n```sql\n{r.FixExample}\n```" },
                                defaultConfiguration = new { level = Level(r.DefaultSeverity) },
                                properties = new { tags = Tags(r) },
                            }),
                        },
                    },
                    results = report.Findings.Select(f => new Dictionary<string, object?>
                    {
                        ["ruleId"] = f.RuleId,
                        ["ruleIndex"] = index.TryGetValue(f.RuleId, out var i) ? i : null,
                        ["level"] = Level(f.Severity),
                        ["message"] = new { text = f.Fix is null ? f.Message : $"{f.Message} Fix: {f.Fix.Split('\n')[0]}" },
                        ["locations"] = new[]
                        {
                            new
                            {
                                physicalLocation = new
                                {
                                    artifactLocation = new { uri = LintReporters.Path(f.File) },
                                    region = new { startLine = f.Line, startColumn = f.Column, endLine = Math.Max(f.Line, f.EndLine) },
                                },
                            },
                        },
                        ["partialFingerprints"] = new { stepwiseFinding = GitLabLintReporter.Fingerprint(f) },
                    }.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value)),
                },
            },
        };
        writer.Write(JsonSerializer.Serialize(document, JsonLintReporter.Options));
        writer.Write('\n');
    }

    private static string Level(LintSeverity severity) => severity switch
    {
        LintSeverity.Error => "error",
        LintSeverity.Warning => "warning",
        LintSeverity.Info => "note",
        _ => "none",
    };

    private static string[] Tags(LintRule rule) => rule.Lock is { } level ? ["postgresql", "migration", "lock:" + level] : ["postgresql", "migration"];
}
