using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Stepwise.Embedded;

/// <summary>
/// The OS account that runs initdb and postgres. Both refuse to run as root, so under root they run as
/// <c>postgres</c> (or a dedicated <c>stepwise</c> system user, created on first need) through
/// <c>runuser</c>; otherwise they run as the current user.
/// </summary>
internal sealed class ServerAccount
{
    private const string PreferredUser = "postgres";
    private const string DedicatedUser = "stepwise";

    private static readonly SemaphoreSlim s_gate = new(1, 1);
    private static ServerAccount? s_current;

    private ServerAccount(string? switchTo, uint userId, uint groupId)
    {
        SwitchTo = switchTo;
        UserId = userId;
        GroupId = groupId;
    }

    /// <summary>The account commands switch to, or null when they run as the current user.</summary>
    internal string? SwitchTo { get; }

    internal uint UserId { get; }

    internal uint GroupId { get; }

    internal string Description => SwitchTo is null ? $"the current user (uid {UserId})" : $"OS user '{SwitchTo}' (uid {UserId})";

    internal static async Task<ServerAccount> ResolveAsync(ILogger logger, CancellationToken cancellationToken)
    {
        if (s_current is { } known)
        {
            return known;
        }
        await s_gate.WaitAsync(cancellationToken);
        try
        {
            return s_current ??= await LookUpAsync(logger, cancellationToken);
        }
        finally
        {
            s_gate.Release();
        }
    }

    /// <summary>A start info that runs <paramref name="program"/> as this account.</summary>
    internal ProcessStartInfo StartInfo(string program, string workingDirectory, IEnumerable<string> arguments)
    {
        var startInfo = new ProcessStartInfo { WorkingDirectory = workingDirectory, UseShellExecute = false };
        if (SwitchTo is null)
        {
            startInfo.FileName = program;
        }
        else
        {
            startInfo.FileName = "runuser";
            startInfo.ArgumentList.Add("-u");
            startInfo.ArgumentList.Add(SwitchTo);
            startInfo.ArgumentList.Add("--");
            startInfo.ArgumentList.Add(program);
        }
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        // Server messages in English whatever the caller's locale, so the log can be read and searched.
        startInfo.Environment["LC_ALL"] = "C";
        return startInfo;
    }

    /// <summary>Gives a file or directory we created to this account, so the server can use it.</summary>
    internal void Own(string path)
    {
        if (SwitchTo is not null)
        {
            Libc.Chown(path, UserId, GroupId);
        }
    }

    private static async Task<ServerAccount> LookUpAsync(ILogger logger, CancellationToken cancellationToken)
    {
        var euid = Libc.GetEffectiveUserId();
        if (euid != 0)
        {
            return new ServerAccount(null, euid, 0);
        }
        if (Libc.LookUpAccount(PreferredUser) is { } postgres)
        {
            logger.RunningAs(PreferredUser);
            return new ServerAccount(PreferredUser, postgres.UserId, postgres.GroupId);
        }
        if (Libc.LookUpAccount(DedicatedUser) is null)
        {
            logger.CreatingUser(PreferredUser, DedicatedUser);
            var useradd = new ProcessStartInfo("useradd") { WorkingDirectory = Path.GetTempPath() };
            foreach (var argument in new[] { "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", DedicatedUser })
            {
                useradd.ArgumentList.Add(argument);
            }
            var result = await ExternalCommand.RunAsync(useradd, cancellationToken);
            // Exit code 9: the name is taken, i.e. another process created it meanwhile.
            if (result.ExitCode is not (0 or 9))
            {
                throw new TempPostgresException(
                    $"initdb and postgres refuse to run as root, and creating OS user '{DedicatedUser}' to run them failed " +
                    $"(useradd exit code {result.ExitCode}): {result.Output.Trim()}. Run as a non-root user, or create the user yourself.");
            }
        }
        var dedicated = Libc.LookUpAccount(DedicatedUser)
            ?? throw new TempPostgresException($"OS user '{DedicatedUser}' was created but cannot be looked up.");
        return new ServerAccount(DedicatedUser, dedicated.UserId, dedicated.GroupId);
    }
}
