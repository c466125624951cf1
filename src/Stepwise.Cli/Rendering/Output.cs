using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Spectre.Console;
using Stepwise.Sql;

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
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The serializer of every typed JSON output (source-generated: no reflection, so Native AOT keeps it whole), with the options above.</summary>
    public static CliJson Types { get; } = new(new JsonSerializerOptions(s_json));

    private readonly ScrubbingWriter _out;
    private readonly ScrubbingWriter _error;

    public Output(TextWriter stdout, TextWriter stderr, OutputFormat format, bool color, bool verbose)
    {
        _out = new ScrubbingWriter(stdout);
        _error = new ScrubbingWriter(stderr);
        Format = format;
        Verbose = verbose;
        _color = color;
        Console = Create(_out, color);
    }

    private readonly bool _color;

    public OutputFormat Format { get; }

    public bool Verbose { get; }

    /// <summary>Standard output, for results.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>
    /// Text from files or the database for Spectre.Console markup (tables, rules, lines): markup characters
    /// escaped, and control characters, noncharacters and the like made visible, which would otherwise corrupt
    /// the terminal or crash Spectre's width measurement (U+FFFF).
    /// </summary>
    public static string Escape(string text) => Markup.Escape(Printable.Escape(text));

    /// <summary>
    /// Registers every password a connection string or URL may hold, before it is parsed, so that not even an
    /// error about a malformed value can show part of one.
    /// </summary>
    public void AddSecretsOf(string? connection)
    {
        foreach (var secret in Stepwise.Connections.DatabaseTarget.PasswordsIn(connection))
        {
            AddSecret(secret);
        }
    }

    /// <summary>Registers a value (a password) that must never be printed.</summary>
    public void AddSecret(string? secret)
    {
        _out.AddSecret(secret);
        _error.AddSecret(secret);
    }

    /// <summary>One JSON document built as nodes; properties whose value is null are left out, as for typed values.</summary>
    public void WriteJson(JsonNode value)
    {
        OmitNulls(value);
        Write(value.ToJsonString(s_json));
    }

    /// <summary>One typed JSON document (its type listed in <see cref="CliJson"/>).</summary>
    public void WriteJson<T>(T value, JsonTypeInfo<T> type) => Write(JsonSerializer.Serialize(value, type));

    /// <summary>A typed value as a node, to place inside a document built as nodes.</summary>
    public static JsonNode? Node<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.SerializeToNode(value, type);

    private void Write(string json)
    {
        _out.Write(json);
        _out.Write('\n');
        _out.Flush();
    }

    private static void OmitNulls(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var name in o.Where(p => p.Value is null).Select(p => p.Key).ToList())
                {
                    o.Remove(name);
                }
                foreach (var (_, value) in o)
                {
                    OmitNulls(value);
                }
                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    OmitNulls(item);
                }
                break;
        }
    }

    /// <summary>Text on standard output as is (never wrapped: SQL from inspect and diff must stay exact); <paramref name="colorize"/> may add ANSI colour when colour is on.</summary>
    public void WriteRaw(string text, Func<string, string>? colorize = null)
    {
        _out.Write(_color && colorize is not null ? colorize(text) : text);
        _out.Flush();
    }

    /// <summary>A problem, on standard error, as is: never wrapped, so file:line:col and messages stay whole.</summary>
    public void Error(string message) => Line(message, "31");

    public void Warning(string message) => Line(message, "33");

    /// <summary>Progress or detail, on standard error, so standard output stays parseable.</summary>
    public void Info(string message) => Line(message, "2");

    private void Line(string message, string ansi)
    {
        var text = Printable.Escape(message.TrimEnd());
        if (Live)
        {
            // Through the live display's console: it prints the line above the bars and draws them again below,
            // instead of the two writing over each other on one screen.
            Console.Write(new Text(text + "\n", ansi switch { "31" => new Style(Color.Red), "33" => new Style(Color.Yellow), _ => new Style(decoration: Decoration.Dim) }));
            return;
        }
        _error.Write(_color ? $"\u001b[{ansi}m{text}\u001b[0m\n" : text + "\n");
        _error.Flush();
    }

    /// <summary>True while live progress is drawn on the terminal (<see cref="BeginLive"/>).</summary>
    public bool Live { get; private set; }

    /// <summary>True when <see cref="Console"/> can draw live progress: a terminal with colour and cursor movement.</summary>
    public bool CanDrawLive => Console.Profile.Capabilities is { Interactive: true, Ansi: true };

    /// <summary>Until disposed, lines of standard error go through <see cref="Console"/>, above the live display it draws.</summary>
    public IDisposable BeginLive()
    {
        _error.Flush();
        Live = true;
        return new EndLive(this);
    }

    private sealed class EndLive(Output output) : IDisposable
    {
        public void Dispose() => output.Live = false;
    }

    public void Flush()
    {
        _out.Flush();
        _error.Flush();
    }

    private static IAnsiConsole Create(TextWriter writer, bool color)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = color ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
            // Live progress bars on a terminal; plain lines (at 25, 50, 75, 100 %) in logs and pipes.
            Interactive = color ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!color)
        {
            // Not a terminal (or plain on purpose): don't wrap tables at 80 columns for logs and pipes.
            console.Profile.Width = 200;
        }
        else if (TerminalWidth() is { } width)
        {
            // Spectre sees our scrubbing writer, not the terminal: tell it how wide the terminal is.
            console.Profile.Width = width;
        }
        return console;
    }

    private static int? TerminalWidth()
    {
        try
        {
            return System.Console.IsOutputRedirected || System.Console.WindowWidth <= 0 ? null : System.Console.WindowWidth;
        }
        catch (IOException)
        {
            return null;
        }
    }

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
            inner.Write(Stepwise.Connections.DatabaseTarget.Redact(text));
        }
    }
}
