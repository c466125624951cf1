using System.Text.Json;
using System.Text.RegularExpressions;
using Stepwise.Linting;

namespace Stepwise.Cli;

/// <summary>
/// The <c>lint</c> section of <c>stepwise.json</c>: per-rule severity, excluded paths (globs), the
/// PostgreSQL version, the small-table threshold, and whether plain files run in one transaction.
/// </summary>
internal sealed class LintConfig
{
    private static readonly string[] s_known = ["rules", "exclude", "postgresVersion", "smallTableRows", "assumeInTransaction"];

    public Dictionary<string, LintSeverity> Rules { get; } = new(StringComparer.Ordinal);

    public List<string> Exclude { get; } = [];

    public int? PostgresVersion { get; private set; }

    public long? SmallTableRows { get; private set; }

    public bool? AssumeInTransaction { get; private set; }

    public static LintConfig Read(string path, byte[] bytes, JsonElement section)
    {
        CliException Bad(string at, string message) =>
            new(ExitCodes.BadInput, $"{path}:{ConfigFile.Locate(bytes, at).Line}:{ConfigFile.Locate(bytes, at).Column}: {message}");

        if (section.ValueKind != JsonValueKind.Object)
        {
            throw Bad("\"lint\"", "\"lint\" must be an object, like { \"rules\": { \"drop-column\": \"warning\" } }");
        }
        var config = new LintConfig();
        var ruleIds = Linter.AllRules.Select(r => r.Id).Concat(Linter.BuiltInIds).ToHashSet(StringComparer.Ordinal);
        foreach (var property in section.EnumerateObject())
        {
            switch (property.Name)
            {
                case "rules" when property.Value.ValueKind == JsonValueKind.Object:
                    foreach (var rule in property.Value.EnumerateObject())
                    {
                        if (!ruleIds.Contains(rule.Name))
                        {
                            throw Bad($"\"{rule.Name}\"", $"unknown rule \"{rule.Name}\"; stepwise lint --list-rules shows the ids");
                        }
                        if (rule.Value.ValueKind != JsonValueKind.String || !Enum.TryParse<LintSeverity>(rule.Value.GetString(), ignoreCase: true, out var severity)
                            || !Regex.IsMatch(rule.Value.GetString()!, "^[a-z]+$"))
                        {
                            throw Bad($"\"{rule.Name}\"", $"the severity of \"{rule.Name}\" must be \"off\", \"info\", \"warning\" or \"error\"");
                        }
                        config.Rules[rule.Name] = severity;
                    }
                    break;
                case "exclude" when property.Value.ValueKind == JsonValueKind.Array && property.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String):
                    config.Exclude.AddRange(property.Value.EnumerateArray().Select(e => e.GetString()!));
                    break;
                case "postgresVersion" when property.Value.TryGetInt32(out var version) && version is >= 10 and <= 99:
                    config.PostgresVersion = version;
                    break;
                case "smallTableRows" when property.Value.TryGetInt64(out var rows) && rows >= 0:
                    config.SmallTableRows = rows;
                    break;
                case "assumeInTransaction" when property.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    config.AssumeInTransaction = property.Value.GetBoolean();
                    break;
                default:
                    throw Bad($"\"{property.Name}\"", s_known.Contains(property.Name)
                        ? $"\"lint.{property.Name}\" has the wrong type (rules: object of severities; exclude: array of globs; postgresVersion, smallTableRows: numbers; assumeInTransaction: true/false)"
                        : $"unknown setting \"lint.{property.Name}\"; known: {string.Join(", ", s_known)}");
            }
        }
        return config;
    }

    /// <summary>True when <paramref name="relativePath"/> matches an exclude glob (<c>*</c>, <c>**</c>, <c>?</c>).</summary>
    public bool Excludes(string relativePath)
    {
        var path = relativePath.Replace('\\', '/');
        return Exclude.Any(glob => Regex.IsMatch(path, "^" + Regex.Escape(glob.Replace('\\', '/'))
            .Replace(@"\*\*/", "(.*/)?", StringComparison.Ordinal)
            .Replace(@"\*\*", ".*", StringComparison.Ordinal)
            .Replace(@"\*", "[^/]*", StringComparison.Ordinal)
            .Replace(@"\?", "[^/]", StringComparison.Ordinal) + "$"));
    }
}
