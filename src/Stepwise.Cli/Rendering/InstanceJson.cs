using System.Text.Json.Nodes;
using Stepwise.Instances;

namespace Stepwise.Cli.Rendering;

/// <summary>A live application instance as JSON (docs/cli.md): in <c>status</c>'s <c>instances</c> and <c>complete --dry-run</c>'s <c>blockers</c>.</summary>
internal static class InstanceJson
{
    public static JsonArray Array(IEnumerable<Instance> instances) => new([.. instances.Select(i => (JsonNode)new JsonObject
    {
        ["version"] = i.Version,
        ["migration"] = i.Migration,
        ["versionSchema"] = i.VersionSchema,
        ["host"] = i.Host,
        ["pid"] = i.ProcessId,
        ["applicationName"] = i.ApplicationName,
        ["startedAt"] = i.StartedAt,
        ["heartbeatAt"] = i.HeartbeatAt,
        ["source"] = i.Source == InstanceSource.Registered ? "registered" : "session",
    })]);
}
