namespace Stepwise.Embedded;

/// <summary>What Linux's <c>/proc</c> says about a process: whether it runs, when it started, its command line.</summary>
internal static class ProcFs
{
    /// <summary>
    /// Field 22 of <c>/proc/&lt;pid&gt;/stat</c>: start time in clock ticks since boot. A pid plus its start time
    /// names one process for good, even after the pid is reused.
    /// </summary>
    internal static long? StartTime(int processId) => ReadStat(processId) is { } fields ? long.Parse(fields[19]) : null;

    /// <summary>True while the process exists and is not a zombie waiting to be reaped.</summary>
    internal static bool IsRunning(int processId) => ReadStat(processId) is { } fields && fields[0] is not ("Z" or "X");

    /// <summary>The command line, arguments joined by spaces; empty when unreadable or gone.</summary>
    internal static string CommandLine(int processId)
    {
        try
        {
            return File.ReadAllText($"/proc/{processId}/cmdline").Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>True when <paramref name="processId"/> runs and is the postmaster of <paramref name="dataDirectory"/>.</summary>
    internal static bool IsPostmasterOf(int processId, string dataDirectory) =>
        processId > 0 && IsRunning(processId) && CommandLine(processId).Contains(dataDirectory, StringComparison.Ordinal);

    /// <summary>Fields 3 onwards of the stat line (index 0 is the state), or null if the process is gone.</summary>
    private static string[]? ReadStat(int processId)
    {
        if (processId <= 0)
        {
            return null;
        }
        string line;
        try
        {
            line = File.ReadAllText($"/proc/{processId}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
        var end = line.LastIndexOf(')');
        if (end < 0 || end + 2 >= line.Length)
        {
            return null;
        }
        var fields = line[(end + 2)..].Split(' ');
        return fields.Length > 19 ? fields : null;
    }
}
