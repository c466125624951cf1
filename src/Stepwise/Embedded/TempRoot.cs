using System.Runtime.Versioning;
using System.Security.Cryptography;

namespace Stepwise.Embedded;

/// <summary>
/// The directory everything lives under: <c>instances/&lt;id&gt;/</c> (one per running server: owner record,
/// data directory, socket, log) and <c>templates/&lt;key&gt;/</c> (pristine clusters to copy).
/// </summary>
internal sealed record TempRoot(string Path)
{
    internal const string EnvironmentVariable = "STEPWISE_PG_ROOT";

    /// <summary>Name of the data directory inside an instance directory.</summary>
    internal const string DataDirectoryName = "data";

    // World-writable with the sticky bit, like /tmp: every user of the machine shares the root (root and
    // non-root runs alike), and none can delete another's entries.
    private const UnixFileMode SharedMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute |
        UnixFileMode.StickyBit;

    internal string Instances => System.IO.Path.Combine(Path, "instances");

    internal string Templates => System.IO.Path.Combine(Path, "templates");

    internal static TempRoot Resolve(string? configured)
    {
        var path = configured;
        if (string.IsNullOrEmpty(path))
        {
            path = Environment.GetEnvironmentVariable(EnvironmentVariable);
        }
        if (string.IsNullOrEmpty(path))
        {
            path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "stepwise-pg");
        }
        return new TempRoot(System.IO.Path.GetFullPath(path));
    }

    [SupportedOSPlatform("linux")]
    internal void EnsureExists()
    {
        try
        {
            foreach (var directory in new[] { Path, Instances, Templates })
            {
                Directory.CreateDirectory(directory);
                if (File.GetUnixFileMode(directory) != SharedMode)
                {
                    TrySetMode(directory);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TempPostgresException(
                $"Cannot use {Path} for throwaway PostgreSQL servers: {e.Message} " +
                $"Set TempPostgresOptions.RootDirectory or {EnvironmentVariable} to a writable directory.", e);
        }
    }

    /// <summary>Creates an empty instance directory, owned by <paramref name="account"/>, with our owner record.</summary>
    [SupportedOSPlatform("linux")]
    internal string CreateInstanceDirectory(ServerAccount account)
    {
        var directory = System.IO.Path.Combine(Instances, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        OwnerRecord.Current.WriteTo(directory);
        account.Own(directory);
        return directory;
    }

    [SupportedOSPlatform("linux")]
    private static void TrySetMode(string directory)
    {
        try
        {
            File.SetUnixFileMode(directory, SharedMode);
        }
        catch (UnauthorizedAccessException)
        {
            // Someone else's directory: usable as long as its mode lets us in, which creating entries will tell.
        }
    }
}
