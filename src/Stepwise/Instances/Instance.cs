namespace Stepwise.Instances;

/// <summary>Where Stepwise learned of a running application instance.</summary>
public enum InstanceSource
{
    /// <summary>It registered itself in the state schema (the hosting package does) and keeps its heartbeat.</summary>
    Registered,

    /// <summary>A session in <c>pg_stat_activity</c> whose <c>application_name</c> matches a configured client pattern.</summary>
    Session,
}

/// <summary>A live application instance and the schema version it was built for.</summary>
/// <param name="Version">The newest migration the application ships (its schema version); null when a session pattern does not say.</param>
/// <param name="Migration">That migration's name (<c>0002_add_users</c>); for a session, the pattern it matched.</param>
/// <param name="VersionSchema">The version schema its connections use; null when they use the tables' schema itself.</param>
/// <param name="Host">The host it runs on (for a session: the client address).</param>
/// <param name="ProcessId">Its process id (for a session: the server process id).</param>
/// <param name="ApplicationName">The application's name.</param>
/// <param name="StartedAt">When it started (for a session: when the session began).</param>
/// <param name="HeartbeatAt">Its last heartbeat (for a session: its last state change).</param>
/// <param name="Source">How Stepwise knows of it.</param>
public sealed record Instance(long? Version, string Migration, string? VersionSchema, string Host, int ProcessId, string ApplicationName,
    DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, InstanceSource Source)
{
    /// <summary>True when it runs code older than <paramref name="version"/> (an unknown version counts as older).</summary>
    public bool IsOlderThan(long version) => Version is not { } own || own < version;

    /// <summary>How messages name it: <c>notes-api on web-1 (pid 4242), version 0001_notes</c>.</summary>
    public override string ToString() => Source == InstanceSource.Registered
        ? $"{ApplicationName} on {Host} (pid {ProcessId}), version {Migration}"
        : $"session {ProcessId} '{ApplicationName}' from {Host} (matches {Migration}){(Version is { } v ? $", version {v}" : ", version unknown")}";
}

/// <summary>What a hosted application registers: its schema version and who it is.</summary>
public sealed record InstanceRegistration
{
    /// <summary>The newest migration the application ships (its schema version).</summary>
    public required long Version { get; init; }

    /// <summary>That migration's name (<c>0002_add_users</c>).</summary>
    public required string Migration { get; init; }

    /// <summary>The version schema its connections use; null when they use the tables' schema itself.</summary>
    public string? VersionSchema { get; init; }

    /// <summary>The application's name (default: the entry assembly's name).</summary>
    public string ApplicationName { get; init; } = System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? "application";

    /// <summary>The host (default: the machine name).</summary>
    public string Host { get; init; } = Environment.MachineName;

    /// <summary>The process id (default: this process).</summary>
    public int ProcessId { get; init; } = Environment.ProcessId;

    /// <summary>
    /// How long the instance counts as alive after its last heartbeat (default 30 s): an instance killed without
    /// removing itself stops blocking <c>complete</c> this long after its last heartbeat.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
}
