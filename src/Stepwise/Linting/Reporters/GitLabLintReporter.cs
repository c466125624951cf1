using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Stepwise.Linting.Reporters;

/// <summary>
/// GitLab code-quality report (a JSON array). Fingerprints hash the rule, the file and the statement's
/// text, not its line, so a finding keeps its identity when lines above it move.
/// </summary>
public sealed class GitLabLintReporter : ILintReporter
{
    /// <inheritdoc />
    public void Write(LintReport report, TextWriter writer)
    {
        var issues = JsonLintReporter.Array(report.Findings, f => new JsonObject
        {
            ["description"] = f.Message,
            ["check_name"] = f.RuleId,
            ["fingerprint"] = Fingerprint(f),
            ["severity"] = f.Severity switch
            {
                LintSeverity.Error => "critical",
                LintSeverity.Warning => "major",
                _ => "info",
            },
            ["location"] = new JsonObject
            {
                ["path"] = LintReporters.Path(f.File),
                ["lines"] = new JsonObject { ["begin"] = f.Line, ["end"] = Math.Max(f.Line, f.EndLine) },
            },
        });
        JsonLintReporter.Write(issues, writer);
    }

    internal static string Fingerprint(LintFinding f)
    {
        var statement = string.Join(' ', f.Statement.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{f.RuleId}\n{LintReporters.Path(f.File)}\n{statement}\n{f.Message}")));
    }
}
