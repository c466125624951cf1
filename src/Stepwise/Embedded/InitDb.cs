using System.Runtime.Versioning;

namespace Stepwise.Embedded;

/// <summary>Creates a fresh cluster with <c>initdb</c>, set up for throwaway use.</summary>
[SupportedOSPlatform("linux")]
internal static class InitDb
{
    /// <summary>
    /// The shape of every cluster; part of the template cache key, so changing a flag invalidates old templates.
    /// Small WAL segments make the template smaller and so quicker to copy.
    /// </summary>
    internal static readonly string[] Flags =
        ["--username=postgres", "--encoding=UTF8", "--locale=C", "--auth=trust", "--no-sync", "--wal-segsize=1"];

    // Trust, but only from this machine: the server listens on 127.0.0.1 and a private socket directory.
    private const string HostBasedAuthentication = """
        # Written by Stepwise TempPostgres: a throwaway server reachable only from this machine.
        local all all trust
        host all all 127.0.0.1/32 trust
        host all all ::1/128 trust

        """;

    internal static async Task RunAsync(PostgresBinaries binaries, ServerAccount account, string dataDirectory, string workingDirectory, CancellationToken cancellationToken)
    {
        var startInfo = account.StartInfo(binaries.InitDb, workingDirectory, ["-D", dataDirectory, .. Flags]);
        await ExternalCommand.RunCheckedAsync(startInfo, AccessHint(account), cancellationToken);
        var hba = Path.Combine(dataDirectory, "pg_hba.conf");
        await File.WriteAllTextAsync(hba, HostBasedAuthentication, cancellationToken);
        File.SetUnixFileMode(hba, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        account.Own(hba);
    }

    /// <summary>What to check when a command run as another account fails.</summary>
    internal static string? AccessHint(ServerAccount account) => account.SwitchTo is null
        ? null
        : $"It ran as {account.Description}, which needs access to every directory above the data directory; " +
          $"if it has none, set TempPostgresOptions.RootDirectory or {TempRoot.EnvironmentVariable} to a directory it can reach.";
}
