using Microsoft.Extensions.Logging;

namespace Stepwise.Embedded;

/// <summary>
/// Cleans up after runs that were killed before they could stop their servers: an instance directory whose
/// owner process is gone (or whose pid now belongs to another process) has its server stopped and is deleted.
/// </summary>
internal static class StaleInstances
{
    /// <summary>A directory without an owner record may be one being created right now; leave it this long.</summary>
    private static readonly TimeSpan s_creationGrace = TimeSpan.FromMinutes(1);

    internal static async Task<int> SweepAsync(TempRoot root, ILogger logger, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(root.Instances))
        {
            return 0;
        }
        var removed = 0;
        foreach (var directory in Directory.EnumerateDirectories(root.Instances))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (OwnerRecord.ReadFrom(directory) is { } owner
                ? owner.IsAlive
                : DateTime.UtcNow - Directory.GetLastWriteTimeUtc(directory) < s_creationGrace)
            {
                continue;
            }
            if (await RemoveAsync(directory, logger))
            {
                removed++;
            }
        }
        return removed;
    }

    private static async Task<bool> RemoveAsync(string directory, ILogger logger)
    {
        var dataDirectory = Path.Combine(directory, TempRoot.DataDirectoryName);
        if (Postmaster.RecordedProcessId(dataDirectory) is { } processId && ProcFs.IsPostmasterOf(processId, dataDirectory))
        {
            logger.StoppingOrphan(processId);
            if (!await Postmaster.ShutDownAsync(processId, dataDirectory, logger))
            {
                logger.OrphanSurvived(processId, directory);
                return false;
            }
        }
        // Rename first: of several processes sweeping at once, exactly one claims the directory.
        var claimed = directory + ".removing-" + Environment.ProcessId;
        try
        {
            Directory.Move(directory, claimed);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (Directory.Exists(directory))
            {
                logger.CouldNotDelete(directory, e.Message);
            }
            return false;
        }
        try
        {
            Directory.Delete(claimed, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The owner record came along, so a later sweep finishes the job.
            logger.CouldNotDelete(claimed, e.Message);
        }
        logger.RemovedStale(directory);
        return true;
    }
}
