using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

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
        var issues = report.Findings.Select(f => new
        {
            description = f.Message,
            check_name = f.RuleId,
            fingerprint = Fingerprint(f),
            severity = f.Severity switch
            {
                LintSeverity.Error => "critical",
                LintSeverity.Warning => "major",
                _ => "info",
            },
            location = new { path = LintReporters.Path(f.File), lines = new { begin = f.Line, end = Math.Max(f.Line, f.EndLine) } },
        });
        writer.Write(JsonSerializer.Serialize(issues, JsonLintReporter.Options)); // names are already GitLab's (check_name)
        writer.Write('\n');
    }

    internal static string Fingerprint(LintFinding f)
    {
        var statement = string.Join(' ', f.Statement.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{f.RuleId}\n{LintReporters.Path(f.File)}\n{statement}\n{f.Message}")));
    }
}
