namespace Stepwise.Embedded;

/// <summary>
/// Which process owns an instance directory, kept in a file inside it. The start time guards against pid
/// reuse: a record whose pid now belongs to another process reads as a dead owner.
/// </summary>
internal readonly record struct OwnerRecord(int ProcessId, long StartTime)
{
    internal const string FileName = "owner";

    internal static OwnerRecord Current { get; } =
        new(Environment.ProcessId, ProcFs.StartTime(Environment.ProcessId) ?? 0);

    internal bool IsAlive => ProcFs.IsRunning(ProcessId) && ProcFs.StartTime(ProcessId) == StartTime;

    internal void WriteTo(string instanceDirectory)
    {
        // Write then rename, so a concurrent sweep never reads half a record.
        var path = Path.Combine(instanceDirectory, FileName);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, $"{ProcessId} {StartTime}\n");
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The record in <paramref name="instanceDirectory"/>, or null if it is missing or unreadable.</summary>
    internal static OwnerRecord? ReadFrom(string instanceDirectory)
    {
        string text;
        try
        {
            text = File.ReadAllText(Path.Combine(instanceDirectory, FileName));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length == 2 && int.TryParse(parts[0], out var pid) && long.TryParse(parts[1], out var start)
            ? new OwnerRecord(pid, start)
            : null;
    }
}
