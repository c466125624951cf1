using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stepwise.Linting.Reporters;

/// <summary>
/// For tools: every finding with its rule, severity, place, message and fix, then the totals (after the findings, so
/// that each file's findings are written as soon as it is linted).
/// </summary>
public sealed class JsonLintReporter : IStreamingLintReporter, IDisposable
{
    private static readonly JsonSerializerOptions s_options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Bytes of JSON held before they go to the writer: a report of any size is written in pieces. Small enough that
    /// neither the buffer nor the characters it decodes to reach the large object heap (85,000 bytes), which only a
    /// full collection frees: a big report written through 64 KiB pieces left megabytes of dead strings resident.
    /// </summary>
    private const int FlushBytes = 16 * 1024;

    private readonly ArrayBufferWriter<byte> _buffer = new(FlushBytes * 2);
    private readonly char[] _chars = new char[FlushBytes];
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private Utf8JsonWriter? _json;

    /// <inheritdoc />
    public void Write(LintReport report, TextWriter writer) => LintTotals.WriteWhole(this, report, writer);

    /// <inheritdoc />
    public void WriteStart(TextWriter writer)
    {
        _buffer.Clear();
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Indented = true, Encoder = s_options.Encoder });
        _json.WriteStartObject();
        _json.WriteStartArray("findings");
    }

    /// <inheritdoc />
    public void WriteFile(LintResult result, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(result);
        var json = _json ?? throw new InvalidOperationException("WriteStart first");
        foreach (var f in result.Findings)
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
            if (json.BytesPending + _buffer.WrittenCount >= FlushBytes)
            {
                json.Flush();
                Drain(writer);
            }
        }
    }

    /// <inheritdoc />
    public void WriteEnd(LintTotals totals, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(totals);
        ArgumentNullException.ThrowIfNull(writer);
        var json = _json ?? throw new InvalidOperationException("WriteStart first");
        json.WriteEndArray();
        json.WriteNumber("files", totals.Files);
        json.WriteNumber("statements", totals.Statements);
        json.WriteNumber("errors", totals.Errors);
        json.WriteEndObject();
        json.Dispose();
        _json = null;
        Drain(writer);
        writer.Write('\n');
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _json?.Dispose();
        _json = null;
    }

    /// <summary>Hands the buffered JSON to the writer through one reused character buffer (no string per piece).</summary>
    private void Drain(TextWriter writer)
    {
        var bytes = _buffer.WrittenSpan;
        while (!bytes.IsEmpty)
        {
            _decoder.Convert(bytes, _chars, flush: false, out var used, out var written, out _);
            writer.Write(_chars, 0, written);
            bytes = bytes[used..];
        }
        _buffer.Clear();
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
