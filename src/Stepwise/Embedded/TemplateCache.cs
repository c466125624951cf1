using System.Collections.Concurrent;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Stepwise.Embedded;

/// <summary>
/// Pristine clusters to copy instead of running initdb (about half a second) on every start. One template
/// per server major version, binary directory, server account and initdb flags; created once, atomically
/// (initdb into a scratch directory, then rename), and never started.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class TemplateCache
{
    // Within a process, one initdb per template; across processes the rename decides.
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> s_gates = new();

    internal static string PathFor(TempRoot root, PostgresBinaries binaries, ServerAccount account)
    {
        var identity = string.Join('\n', [binaries.Directory, account.UserId.ToString(), .. InitDb.Flags]);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..12];
        return Path.Combine(root.Templates, $"pg{binaries.MajorVersion}-{hash}");
    }

    /// <summary>The template's path, running initdb (in <paramref name="scratchDirectory"/>) if there is none yet.</summary>
    internal static async Task<string> GetOrCreateAsync(
        TempRoot root, PostgresBinaries binaries, ServerAccount account, string scratchDirectory, ILogger logger, CancellationToken cancellationToken)
    {
        var template = PathFor(root, binaries, account);
        if (Directory.Exists(template))
        {
            return template;
        }
        var gate = s_gates.GetOrAdd(template, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (Directory.Exists(template))
            {
                return template;
            }
            var building = Path.Combine(scratchDirectory, "template");
            await InitDb.RunAsync(binaries, account, building, scratchDirectory, cancellationToken);
            try
            {
                Directory.Move(building, template);
                logger.TemplateCreated(template);
            }
            catch (IOException) when (Directory.Exists(template))
            {
                // Another process finished first; its template is as good as ours.
                Directory.Delete(building, recursive: true);
            }
            return template;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Copies the template to a new data directory, as the server account so it owns the copy.</summary>
    internal static Task CopyAsync(string template, string dataDirectory, ServerAccount account, string workingDirectory, CancellationToken cancellationToken) =>
        ExternalCommand.RunCheckedAsync(
            account.StartInfo("cp", workingDirectory, ["-a", template, dataDirectory]), InitDb.AccessHint(account), cancellationToken);
}
