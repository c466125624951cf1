using System.Runtime.InteropServices;

namespace Stepwise.Embedded;

/// <summary>
/// The few POSIX calls .NET has no public API for: sending a chosen signal (fast shutdown is SIGINT),
/// changing a file's owner, looking up an account's ids, and for the native executable the auxiliary vector and
/// advice about its pages (StartupPages).
/// </summary>
internal static partial class Libc
{
    internal const int SIGINT = 2;
    internal const int SIGQUIT = 3;
    internal const int SIGKILL = 9;

    private static readonly Lock s_passwdGate = new();

    [LibraryImport("libc", EntryPoint = "geteuid")]
    internal static partial uint GetEffectiveUserId();

    /// <summary>An entry of the auxiliary vector the kernel hands every process (<c>AT_PHDR</c>: the program headers).</summary>
    [LibraryImport("libc", EntryPoint = "getauxval")]
    internal static partial ulong GetAuxValue(ulong type);

    /// <summary>Advice about a range of the process's pages (<c>MADV_DONTNEED</c>: unmap them); 0 when taken.</summary>
    [LibraryImport("libc", EntryPoint = "madvise")]
    internal static partial int Madvise(nint address, nuint length, int advice);

    /// <summary>Sends <paramref name="signal"/>; false when the process is gone or not ours to signal.</summary>
    internal static bool Kill(int processId, int signal) => KillNative(processId, signal) == 0;

    internal static void Chown(string path, uint userId, uint groupId)
    {
        if (ChownNative(path, userId, groupId) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            throw new IOException($"Could not give {path} to uid {userId}: {Marshal.GetPInvokeErrorMessage(error)}");
        }
    }

    /// <summary>The user and group id of account <paramref name="name"/>, or null if there is no such account.</summary>
    internal static (uint UserId, uint GroupId)? LookUpAccount(string name)
    {
        // getpwnam returns a pointer into static storage, so calls must not overlap.
        lock (s_passwdGate)
        {
            var entry = GetPwNam(name);
            if (entry == IntPtr.Zero)
            {
                return null;
            }
            // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; ... }
            var offset = 2 * IntPtr.Size;
            return ((uint)Marshal.ReadInt32(entry, offset), (uint)Marshal.ReadInt32(entry, offset + sizeof(uint)));
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int sig);

    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int ChownNative(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "getpwnam", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetPwNam(string name);
}
