using System.Text.Json;
using Stepwise.Execution;
using Stepwise.Instances;

namespace Stepwise.Cli;

/// <summary>
/// The <c>instances</c> section of <c>stepwise.json</c>: the tables' schema (version schemas are named after it),
/// clients that do not register (by <c>application_name</c>), and the per-version role pattern for poolers.
/// </summary>
internal sealed class InstanceConfig
{
    private static readonly string[] s_known = ["schema", "clients", "versionRole", "versionRoleMemberOf"];

    private string? _schema, _versionRole, _memberOf;
    private readonly List<ClientPattern> _clients = [];

    public static InstanceConfig Read(string path, byte[] bytes, JsonElement section)
    {
        CliException Bad(string at, string message)
        {
            var (line, column) = ConfigFile.Locate(bytes, at);
            return new(ExitCodes.BadInput, $"{path}:{line}:{column}: {message}");
        }

        if (section.ValueKind != JsonValueKind.Object)
        {
            throw Bad("\"instances\"", "\"instances\" must be an object, like { \"clients\": [\"billing-{version}\"], \"versionRole\": \"app_{version}\" }");
        }
        var config = new InstanceConfig();
        foreach (var property in section.EnumerateObject())
        {
            var at = "\"" + property.Name + "\"";
            string Text() => property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is { Length: > 0 } text
                ? text
                : throw Bad(at, $"\"{property.Name}\" must be a non-empty string");
            switch (property.Name)
            {
                case "schema":
                    config._schema = Text();
                    break;
                case "versionRole":
                    config._versionRole = Text();
                    break;
                case "versionRoleMemberOf":
                    config._memberOf = Text();
                    break;
                case "clients" when property.Value.ValueKind == JsonValueKind.Array:
                    foreach (var item in property.Value.EnumerateArray())
                    {
                        try
                        {
                            config._clients.Add(ClientPattern.Parse(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw new FormatException("each client pattern must be a string")));
                        }
                        catch (FormatException ex)
                        {
                            throw Bad(at, $"\"clients\": {ex.Message}");
                        }
                    }
                    break;
                case "clients":
                    throw Bad(at, "\"clients\" must be a list of application_name patterns, like [\"billing-{version}\", \"reports-*\"]");
                default:
                    throw Bad(at, $"unknown instances setting \"{property.Name}\"; known: {string.Join(", ", s_known)}");
            }
        }
        return config;
    }

    /// <summary>Sets what the file sets.</summary>
    public void Apply(MigratorOptions options)
    {
        var instances = options.Instances;
        instances.Schema = _schema ?? instances.Schema;
        instances.VersionRole = _versionRole ?? instances.VersionRole;
        instances.VersionRoleMemberOf = _memberOf ?? instances.VersionRoleMemberOf;
        foreach (var client in _clients)
        {
            instances.Clients.Add(client);
        }
    }
}
