using Microsoft.Extensions.Logging;

namespace Stepwise.Hosting;

/// <summary>The event ids the hosting integration logs with (the library's are in <c>Stepwise.Execution.EventIds</c>).</summary>
public static class HostingEventIds
{
    /// <summary>The database is up to date: the application starts.</summary>
    public static readonly EventId SchemaReady = new(2001, nameof(SchemaReady));

    /// <summary>The application refuses to start; the message names what is wrong and the command that fixes it.</summary>
    public static readonly EventId StartupRefused = new(2002, nameof(StartupRefused));

    /// <summary>Pending migrations are being applied at start-up.</summary>
    public static readonly EventId Applying = new(2003, nameof(Applying));

    /// <summary>Start-up applied migrations (or found none to apply).</summary>
    public static readonly EventId Applied = new(2004, nameof(Applied));

    /// <summary>Connections use the application's schema version (or, when it has no version schema, stay as they are).</summary>
    public static readonly EventId Bound = new(2005, nameof(Bound));

    /// <summary>This instance's registration (schema version, heartbeat) in the state schema: written, failing, or removed.</summary>
    public static readonly EventId Heartbeat = new(2006, nameof(Heartbeat));
}
