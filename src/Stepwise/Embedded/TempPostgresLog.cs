using Microsoft.Extensions.Logging;

namespace Stepwise.Embedded;

/// <summary>Everything TempPostgres logs, in one place (source-generated, so disabled levels cost nothing).</summary>
internal static partial class TempPostgresLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "PostgreSQL {Major} started on port {Port} (pid {Pid}, {Directory}) in {ElapsedMs} ms")]
    internal static partial void Started(this ILogger logger, int major, int port, int pid, string directory, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "PostgreSQL on port {Port} stopped and removed in {ElapsedMs} ms")]
    internal static partial void Stopped(this ILogger logger, int port, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created PostgreSQL template cluster {Template}")]
    internal static partial void TemplateCreated(this ILogger logger, string template);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Port {Port} was taken before PostgreSQL could bind it; retrying on another port")]
    internal static partial void PortTaken(this ILogger logger, int port);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Socket path {Path} is too long for a unix socket; PostgreSQL will listen on TCP only")]
    internal static partial void SocketPathTooLong(this ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL (pid {Pid}) did not stop in time; sending signal {Signal}")]
    internal static partial void Escalating(this ILogger logger, int pid, int signal);

    [LoggerMessage(Level = LogLevel.Error, Message = "PostgreSQL (pid {Pid}) for {DataDirectory} did not stop even after SIGKILL")]
    internal static partial void DidNotStop(this ILogger logger, int pid, string dataDirectory);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Running as root; PostgreSQL runs as OS user {User}")]
    internal static partial void RunningAs(this ILogger logger, string user);

    [LoggerMessage(Level = LogLevel.Information, Message = "Running as root and there is no OS user {Preferred}; creating system user {User} to run PostgreSQL")]
    internal static partial void CreatingUser(this ILogger logger, string preferred, string user);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping PostgreSQL (pid {Pid}) left running by a process that no longer exists")]
    internal static partial void StoppingOrphan(this ILogger logger, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not stop PostgreSQL (pid {Pid}); leaving {Directory} in place")]
    internal static partial void OrphanSurvived(this ILogger logger, int pid, string directory);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Removed stale instance directory {Directory}")]
    internal static partial void RemovedStale(this ILogger logger, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} PostgreSQL instance(s) left behind by processes that no longer exist")]
    internal static partial void Swept(this ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete {Directory}; a later sweep will: {Reason}")]
    internal static partial void CouldNotDelete(this ILogger logger, string directory, string reason);
}
