using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Spectre.Console;

namespace Stepwise.Cli.Rendering;

/// <summary>Output format chosen with <c>--format</c>.</summary>
internal enum OutputFormat
{
    Text,
    Json,
}

/// <summary>
/// Everything a command prints goes through here: text through Spectre.Console (colour unless
/// <c>--no-color</c>, NO_COLOR or not a terminal), JSON as one document, and every known secret
/// scrubbed from both streams.
/// </summary>
internal sealed class Output
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly ScrubbingWriter _out;
    private readonly ScrubbingWriter _error;

    public Output(TextWriter stdout, TextWriter stderr, OutputFormat format, bool color, bool verbose)
    {
        _out = new ScrubbingWriter(stdout);
        _error = new ScrubbingWriter(stderr);
        Format = format;
        Verbose = verbose;
        Console = Create(_out, color);
        ErrorConsole = Create(_error, color);
    }

    public OutputFormat Format { get; }

    public bool Verbose { get; }

    /// <summary>Standard output, for results.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>Standard error, for problems and progress.</summary>
    public IAnsiConsole ErrorConsole { get; }

    /// <summary>Registers a value (a password) that must never be printed.</summary>
    public void AddSecret(string? secret)
    {
        _out.AddSecret(secret);
        _error.AddSecret(secret);
    }

    public void WriteJson<T>(T value)
    {
        _out.Write(JsonSerializer.Serialize(value, s_json));
        _out.Write('\n');
        _out.Flush();
    }

    /// <summary>A problem, on standard error, plain text (no markup parsing of the message).</summary>
    public void Error(string message) => ErrorConsole.Write(new Text(message.TrimEnd() + "\n", new Style(Color.Red)));

    public void Warning(string message) => ErrorConsole.Write(new Text(message.TrimEnd() + "\n", new Style(Color.Yellow)));

    /// <summary>Progress or detail, on standard error, so standard output stays parseable.</summary>
    public void Info(string message) => ErrorConsole.Write(new Text(message.TrimEnd() + "\n", new Style(decoration: Decoration.Dim)));

    public void Flush()
    {
        _out.Flush();
        _error.Flush();
    }

    private static IAnsiConsole Create(TextWriter writer, bool color) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = color ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Out = new AnsiConsoleOutput(writer),
        Interactive = InteractionSupport.No,
    });

    /// <summary>A writer that replaces every registered secret before the text leaves the process.</summary>
    private sealed class ScrubbingWriter(TextWriter inner) : TextWriter
    {
        private readonly List<string> _secrets = [];
        private readonly StringBuilder _line = new();

        public override Encoding Encoding => inner.Encoding;

        public void AddSecret(string? secret)
        {
            if (!string.IsNullOrEmpty(secret) && !_secrets.Contains(secret))
            {
                _secrets.Add(secret);
            }
        }

        // Buffer by line so a secret split across two Write calls is still caught.
        public override void Write(char value)
        {
            _line.Append(value);
            if (value == '\n')
            {
                FlushLine();
            }
        }

        public override void Write(string? value)
        {
            if (value is null)
            {
                return;
            }
            _line.Append(value);
            if (value.Contains('\n'))
            {
                FlushLine();
            }
        }

        public override void Flush()
        {
            FlushLine();
            inner.Flush();
        }

        private void FlushLine()
        {
            if (_line.Length == 0)
            {
                return;
            }
            var text = _line.ToString();
            _line.Clear();
            foreach (var secret in _secrets)
            {
                text = text.Replace(secret, "***", StringComparison.Ordinal);
            }
            inner.Write(Stepwise.Execution.DatabaseTarget.Redact(text));
        }
    }
}
