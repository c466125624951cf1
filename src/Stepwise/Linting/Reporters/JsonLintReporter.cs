using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stepwise.Linting.Reporters;

/// <summary>For tools: every finding with its rule, severity, place, message and fix, and a summary.</summary>
public sealed class JsonLintReporter : ILintReporter
{
    private static readonly JsonSerializerOptions s_options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <inheritdoc />
    public void Write(LintReport report, TextWriter writer)
    {
        var document = new JsonObject
        {
            ["files"] = report.Results.Count,
            ["statements"] = report.Statements,
            ["errors"] = report.Findings.Count(f => f.Severity == LintSeverity.Error),
            ["findings"] = Array(report.Findings, f => new JsonObject
            {
                ["rule"] = f.RuleId,
                ["severity"] = f.Severity.ToString().ToLowerInvariant(),
                ["file"] = f.File,
                ["line"] = f.Line,
                ["column"] = f.Column,
                ["endLine"] = f.EndLine,
                ["message"] = f.Message,
                ["fix"] = f.Fix,
                ["statement"] = f.Statement,
            }),
        };
        Write(document, writer);
    }

    /// <summary>A JSON array of <paramref name="items"/>, each mapped.</summary>
    internal static JsonArray Array<T>(IEnumerable<T> items, Func<T, JsonNode?> map) => new([.. items.Select(map)]);

    /// <summary>Writes a document as every lint reporter does: indented, non-ASCII text as is (JSON nodes, not reflection: trimming and Native AOT safe).</summary>
    internal static void Write(JsonNode document, TextWriter writer)
    {
        writer.Write(document.ToJsonString(s_options));
        writer.Write('\n');
    }
}
