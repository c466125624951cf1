using System.Text.Json;

namespace Stepwise.Cli;

/// <summary>
/// <c>stepwise.json</c>: defaults for the global options, so a project need not repeat them.
/// Unknown keys are an error (a typo must not be silently ignored).
/// </summary>
internal sealed class ConfigFile
{
    public const string DefaultName = "stepwise.json";

    private static readonly string[] s_known = ["$schema", "database", "dir", "stateSchema", "setup", "lint", "locks", "instances"];

    public required string Path { get; init; }

    public string? Database { get; init; }

    public string? Dir { get; init; }

    public string? StateSchema { get; init; }

    public LintConfig? Lint { get; init; }

    public LockConfig? Locks { get; init; }

    public InstanceConfig? Instances { get; init; }

    /// <summary>SQL file that prepares the throwaway database of verify, drift and diff (relative to this file).</summary>
    public string? Setup { get; init; }

    public static ConfigFile? Load(string path, bool required)
    {
        if (!File.Exists(path))
        {
            return required ? throw new CliException(ExitCodes.BadInput, $"{path}: configuration file not found") : null;
        }
        var bytes = File.ReadAllBytes(path);
        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CliException(ExitCodes.BadInput, $"{path}:1:1: the configuration must be a JSON object, like {{ \"dir\": \"migrations\" }}");
            }
            string? database = null, dir = null, stateSchema = null, setup = null;
            LintConfig? lint = null;
            LockConfig? locks = null;
            InstanceConfig? instances = null;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "database":
                        database = ReadString(path, bytes, property);
                        break;
                    case "dir":
                        dir = ReadString(path, bytes, property);
                        break;
                    case "stateSchema":
                        stateSchema = ReadString(path, bytes, property);
                        break;
                    case "setup":
                        setup = ReadString(path, bytes, property);
                        break;
                    case "lint":
                        lint = LintConfig.Read(path, bytes, property.Value);
                        break;
                    case "locks":
                        locks = LockConfig.Read(path, bytes, property.Value);
                        break;
                    case "instances":
                        instances = InstanceConfig.Read(path, bytes, property.Value);
                        break;
                    case "$schema":
                        break;
                    default:
                        var (line, column) = Locate(bytes, "\"" + property.Name + "\"");
                        throw new CliException(ExitCodes.BadInput,
                            $"{path}:{line}:{column}: unknown setting \"{property.Name}\"; known settings: {string.Join(", ", s_known.Skip(1))}");
                }
            }
            return new ConfigFile { Path = path, Database = database, Dir = dir, StateSchema = stateSchema, Setup = setup, Lint = lint, Locks = locks, Instances = instances };
        }
        catch (JsonException ex)
        {
            throw new CliException(ExitCodes.BadInput,
                $"{path}:{(ex.LineNumber ?? 0) + 1}:{(ex.BytePositionInLine ?? 0) + 1}: not valid JSON ({ex.Message.Split(" Path:")[0]}); fix the file or pass --config");
        }
    }

    private static string ReadString(string path, byte[] bytes, JsonProperty property)
    {
        if (property.Value.ValueKind != JsonValueKind.String)
        {
            var (line, column) = Locate(bytes, "\"" + property.Name + "\"");
            throw new CliException(ExitCodes.BadInput, $"{path}:{line}:{column}: \"{property.Name}\" must be a string");
        }
        return property.Value.GetString()!;
    }

    internal static (int Line, int Column) Locate(byte[] bytes, string needle)
    {
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        var index = Math.Max(0, text.IndexOf(needle, StringComparison.Ordinal));
        var line = 1 + text.AsSpan(0, index).Count('\n');
        var column = index - (text.LastIndexOf('\n', Math.Max(0, index - 1)) + 1) + 1;
        return (line, column);
    }
}
