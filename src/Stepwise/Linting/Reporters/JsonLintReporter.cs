using System.Text.Encodings.Web;
using System.Text.Json;

namespace Stepwise.Linting.Reporters;

/// <summary>For tools: every finding with its rule, severity, place, message and fix, and a summary.</summary>
public sealed class JsonLintReporter : ILintReporter
{
    internal static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <inheritdoc />
    public void Write(LintReport report, TextWriter writer)
    {
        var document = new
        {
            files = report.Results.Count,
            statements = report.Statements,
            errors = report.Findings.Count(f => f.Severity == LintSeverity.Error),
            findings = report.Findings.Select(f => new
            {
                rule = f.RuleId,
                severity = f.Severity.ToString().ToLowerInvariant(),
                file = f.File,
                line = f.Line,
                column = f.Column,
                endLine = f.EndLine,
                message = f.Message,
                fix = f.Fix,
                statement = f.Statement,
            }),
        };
        writer.Write(JsonSerializer.Serialize(document, Options));
        writer.Write('\n');
    }
}
