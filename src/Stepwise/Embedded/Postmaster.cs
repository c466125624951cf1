using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Stepwise.Embedded;

/// <summary>A running <c>postgres</c> server process: starting it on a free port, and stopping it.</summary>
internal sealed class Postmaster
{
    private const int StartAttempts = 5;
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(5);

    /// <summary>Maximum length of a unix socket path (sun_path) on Linux, less its terminating zero.</summary>
    private const int MaxSocketPathBytes = 107;

    // Ports handed to servers of this process, so parallel starts do not pick the same one.
    private static readonly ConcurrentDictionary<int, byte> s_reservedPorts = new();

    private readonly Process _process;
    private readonly ServerLog _log;

    private Postmaster(Process process, ServerLog log, int processId, int port, string dataDirectory)
    {
        _process = process;
        _log = log;
        ProcessId = processId;
        Port = port;
        DataDirectory = dataDirectory;
    }

    internal int ProcessId { get; }

    internal int Port { get; }

    internal string DataDirectory { get; }

    /// <summary>
    /// Starts postgres on <paramref name="dataDirectory"/> and returns once it accepts connections. The port is
    /// picked free just before; if another process takes it in between, the start is retried on a new one.
    /// </summary>
    internal static async Task<Postmaster> StartAsync(
        PostgresBinaries binaries, ServerAccount account, string instanceDirectory, string dataDirectory,
        IEnumerable<KeyValuePair<string, string>> extraSettings, TimeSpan timeout, ILogger logger, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = ReservePort();
            var log = new ServerLog(Path.Combine(instanceDirectory, "server.log"));
            var startInfo = account.StartInfo(
                binaries.Postgres, instanceDirectory, Arguments(dataDirectory, instanceDirectory, port, extraSettings, logger));
            startInfo.RedirectStandardInput = true;
            startInfo.RedirectStandardOutput = true;
            startInfo.RedirectStandardError = true;
            var process = new Process { StartInfo = startInfo };
            try
            {
                process.Start();
            }
            catch (Win32Exception e)
            {
                Release(port, log, process);
                throw new TempPostgresException($"Could not run {ExternalCommand.Describe(startInfo)}: {e.Message}", e);
            }
            log.Attach(process);
            process.StandardInput.Close();

            Outcome outcome;
            int processId;
            try
            {
                (outcome, processId) = await WaitUntilReadyAsync(process, dataDirectory, port, timeout, logger, cancellationToken);
            }
            catch
            {
                Release(port, log, process);
                throw;
            }
            if (outcome == Outcome.Ready)
            {
                return new Postmaster(process, log, processId, port, dataDirectory);
            }
            if (outcome == Outcome.TimedOut)
            {
                var tail = log.Tail();
                Release(port, log, process);
                throw new TempPostgresException(
                    $"PostgreSQL did not accept connections within {timeout.TotalSeconds:0.#} s (TempPostgresOptions.StartTimeout). " +
                    $"Last lines of its log:\n{tail}");
            }
            await process.WaitForExitAsync(CancellationToken.None); // lets the log catch the last lines
            var exitCode = process.ExitCode;
            var lastLines = log.Tail();
            Release(port, log, process);
            if (lastLines.Contains("Address already in use", StringComparison.Ordinal) && attempt < StartAttempts)
            {
                logger.PortTaken(port);
                continue;
            }
            throw new TempPostgresException(
                $"PostgreSQL exited with code {exitCode} while starting (as {account.Description}). Last lines of its log:\n{lastLines}");
        }
    }

    /// <summary>Stops the server (fast shutdown, escalating if needed) and waits for its processes to end.</summary>
    internal async Task StopAsync(ILogger logger)
    {
        if (!await ShutDownAsync(ProcessId, DataDirectory, logger))
        {
            logger.DidNotStop(ProcessId, DataDirectory);
        }
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                // Under root this is runuser, which exits right after postgres; either way, the log drains.
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                KillTree(_process);
            }
        }
        Release(Port, _log, _process);
    }

    /// <summary>
    /// Fast shutdown (SIGINT: end sessions, checkpoint, exit); after 10 s immediate shutdown (SIGQUIT); after 5 s
    /// more, SIGKILL. Signals go only to a process that still is the postmaster of <paramref name="dataDirectory"/>,
    /// so a reused pid is never hit. True once it is gone.
    /// </summary>
    internal static async Task<bool> ShutDownAsync(int processId, string dataDirectory, ILogger logger)
    {
        (int Signal, TimeSpan Wait)[] steps =
        [
            (Libc.SIGINT, TimeSpan.FromSeconds(10)),
            (Libc.SIGQUIT, TimeSpan.FromSeconds(5)),
            (Libc.SIGKILL, TimeSpan.FromSeconds(5)),
        ];
        foreach (var (signal, wait) in steps)
        {
            if (!ProcFs.IsPostmasterOf(processId, dataDirectory))
            {
                return true;
            }
            if (signal != Libc.SIGINT)
            {
                logger.Escalating(processId, signal);
            }
            Libc.Kill(processId, signal);
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < wait)
            {
                if (!ProcFs.IsPostmasterOf(processId, dataDirectory))
                {
                    return true;
                }
                await Task.Delay(s_pollInterval);
            }
        }
        return !ProcFs.IsPostmasterOf(processId, dataDirectory);
    }

    private enum Outcome
    {
        Ready,
        Exited,
        TimedOut,
    }

    private static async Task<(Outcome, int ProcessId)> WaitUntilReadyAsync(
        Process process, string dataDirectory, int port, TimeSpan timeout, ILogger logger, CancellationToken cancellationToken)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        var clock = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (process.HasExited)
                {
                    return (Outcome.Exited, 0);
                }
                if (ReadPidFile(pidFile) is { } status && status.Ready && status.Port == port)
                {
                    return (Outcome.Ready, status.ProcessId);
                }
                if (clock.Elapsed > timeout)
                {
                    await AbandonAsync(process, pidFile, dataDirectory, logger);
                    return (Outcome.TimedOut, 0);
                }
                await Task.Delay(s_pollInterval, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            await AbandonAsync(process, pidFile, dataDirectory, logger);
            throw;
        }
    }

    /// <summary>Stops a server that never became ready, so nothing is left running.</summary>
    private static async Task AbandonAsync(Process process, string pidFile, string dataDirectory, ILogger logger)
    {
        if (ReadPidFile(pidFile) is { } status)
        {
            await ShutDownAsync(status.ProcessId, dataDirectory, logger);
        }
        KillTree(process);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            // Reported by the caller; the instance directory sweep catches anything left.
        }
    }

    private readonly record struct PidFile(int ProcessId, int Port, bool Ready);

    /// <summary>
    /// postmaster.pid: line 1 pid, 2 data directory, 3 start time, 4 port, 5 socket directory, 6 listen address,
    /// 7 shared memory key, 8 status ("ready" once connections are accepted). Null while missing or half-written.
    /// </summary>
    private static PidFile? ReadPidFile(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if (lines.Length < 1 || !int.TryParse(lines[0], out var pid) || pid <= 0)
        {
            return null;
        }
        var port = lines.Length >= 4 && int.TryParse(lines[3], out var p) ? p : 0;
        var ready = lines.Length >= 8 && lines[7].Trim() == "ready";
        return new PidFile(pid, port, ready);
    }

    /// <summary>The postmaster pid recorded in a data directory, or null.</summary>
    internal static int? RecordedProcessId(string dataDirectory) =>
        ReadPidFile(Path.Combine(dataDirectory, "postmaster.pid"))?.ProcessId;

    private static List<string> Arguments(
        string dataDirectory, string socketDirectory, int port, IEnumerable<KeyValuePair<string, string>> extraSettings, ILogger logger)
    {
        // Durability is pointless for a throwaway server and costs start-up and test time.
        var settings = new List<KeyValuePair<string, string>>
        {
            new("fsync", "off"),
            new("synchronous_commit", "off"),
            new("full_page_writes", "off"),
        };
        settings.AddRange(extraSettings);
        // Last, so the caller's settings cannot move the server off the address we wait on.
        var socketPath = Path.Combine(socketDirectory, ".s.PGSQL." + port);
        var socketDirectories = Encoding.UTF8.GetByteCount(socketPath) <= MaxSocketPathBytes ? Quote(socketDirectory) : "";
        if (socketDirectories.Length == 0)
        {
            logger.SocketPathTooLong(socketPath);
        }
        settings.Add(new("listen_addresses", "127.0.0.1"));
        settings.Add(new("port", port.ToString(CultureInfo.InvariantCulture)));
        settings.Add(new("unix_socket_directories", socketDirectories));

        var arguments = new List<string> { "-D", dataDirectory };
        foreach (var (name, value) in settings)
        {
            arguments.Add("-c");
            arguments.Add(name + "=" + value);
        }
        return arguments;
    }

    /// <summary>An element of a PostgreSQL directory list, double-quoted so commas and spaces are kept.</summary>
    private static string Quote(string directory) => "\"" + directory.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static int ReservePort()
    {
        while (true)
        {
            // Port 0 makes the kernel choose a free one; postgres binds it a moment later.
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            if (s_reservedPorts.TryAdd(port, 0))
            {
                return port;
            }
        }
    }

    private static void Release(int port, ServerLog log, Process process)
    {
        s_reservedPorts.TryRemove(port, out _);
        log.Dispose();
        process.Dispose();
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception)
        {
            // Already exited.
        }
    }
}
