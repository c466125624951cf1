using System.Buffers;
using System.Text;
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

    /// <summary>Bytes of JSON held before they go to the writer: a report of any size is written in pieces.</summary>
    private const int FlushBytes = 64 * 1024;

    /// <inheritdoc />
    public void Write(LintReport report, TextWriter writer)
    {
        var buffer = new ArrayBufferWriter<byte>(FlushBytes * 2);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = s_options.Encoder }))
        {
            json.WriteStartObject();
            json.WriteNumber("files", report.Results.Count);
            json.WriteNumber("statements", report.Statements);
            json.WriteNumber("errors", report.Findings.Count(f => f.Severity == LintSeverity.Error));
            json.WriteStartArray("findings");
            foreach (var f in report.Findings)
            {
                json.WriteStartObject();
                json.WriteString("rule", f.RuleId);
                json.WriteString("severity", f.Severity.ToString().ToLowerInvariant());
                json.WriteString("file", f.File);
                json.WriteNumber("line", f.Line);
                json.WriteNumber("column", f.Column);
                json.WriteNumber("endLine", f.EndLine);
                json.WriteString("message", f.Message);
                json.WriteString("fix", f.Fix);
                json.WriteString("statement", f.Statement);
                json.WriteEndObject();
                if (json.BytesPending + buffer.WrittenCount >= FlushBytes)
                {
                    json.Flush();
                    Drain(buffer, writer);
                }
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        Drain(buffer, writer);
        writer.Write('\n');
    }

    private static void Drain(ArrayBufferWriter<byte> buffer, TextWriter writer)
    {
        writer.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
        buffer.Clear();
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
