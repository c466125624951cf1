using System.Collections.Concurrent;
using System.Diagnostics;

namespace Stepwise.Embedded;

/// <summary>A directory holding the PostgreSQL server programs, and the major version they belong to.</summary>
internal sealed record PostgresBinaries(string Directory, int MajorVersion)
{
    internal const string EnvironmentVariable = "STEPWISE_PG_BIN";

    /// <summary>Debian's convention: one <c>bin</c> directory per installed major version.</summary>
    private const string DebianRoot = "/usr/lib/postgresql";

    private const string InstallHint =
        "Install them with: sudo apt-get install -y postgresql (or set " + EnvironmentVariable + " to the directory that holds them).";

    // Discovery runs programs (pg_config, postgres -V); once per process and directory is enough.
    private static readonly ConcurrentDictionary<string, Lazy<Task<PostgresBinaries>>> s_cache = new();

    internal string Postgres => Path.Combine(Directory, "postgres");

    internal string InitDb => Path.Combine(Directory, "initdb");

    /// <summary>
    /// Finds the binaries: <paramref name="configured"/> (TempPostgresOptions.BinDirectory), then
    /// <c>STEPWISE_PG_BIN</c>, then <c>pg_config --bindir</c>, then the newest <c>/usr/lib/postgresql/N/bin</c>,
    /// then PATH. A directory named explicitly (option or variable) must hold them; it is never skipped.
    /// </summary>
    internal static async Task<PostgresBinaries> LocateAsync(string? configured, CancellationToken cancellationToken)
    {
        var variable = Environment.GetEnvironmentVariable(EnvironmentVariable);
        var key = configured is not null ? "option:" + configured
            : !string.IsNullOrEmpty(variable) ? "env:" + variable
            : "search";
        var lazy = s_cache.GetOrAdd(key, _ => new Lazy<Task<PostgresBinaries>>(() => DiscoverAsync(configured, variable)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        catch when (lazy.Value.IsFaulted)
        {
            // Failures are not cached: the user may install the binaries and try again.
            s_cache.TryRemove(KeyValuePair.Create(key, lazy));
            throw;
        }
    }

    private static async Task<PostgresBinaries> DiscoverAsync(string? configured, string? variable)
    {
        var directory = await FindDirectoryAsync(configured, variable);
        return new PostgresBinaries(directory, await ReadMajorVersionAsync(directory));
    }

    private static async Task<string> FindDirectoryAsync(string? configured, string? variable)
    {
        if (configured is not null)
        {
            return HoldsServer(configured)
                ? Path.GetFullPath(configured)
                : throw NotFound($"in {configured} (TempPostgresOptions.BinDirectory)");
        }
        if (!string.IsNullOrEmpty(variable))
        {
            return HoldsServer(variable)
                ? Path.GetFullPath(variable)
                : throw NotFound($"in {variable} (environment variable {EnvironmentVariable})");
        }
        if (await PgConfigBinDirectoryAsync() is { } bindir && HoldsServer(bindir))
        {
            // Checked: pg_config may come from a client-only package whose bindir has no server.
            return bindir;
        }
        if (System.IO.Directory.Exists(DebianRoot))
        {
            var newest = System.IO.Directory.EnumerateDirectories(DebianRoot)
                .Select(path => (path, major: int.TryParse(Path.GetFileName(path), out var n) ? n : -1))
                .Where(entry => entry.major >= 0)
                .OrderByDescending(entry => entry.major)
                .Select(entry => Path.Combine(entry.path, "bin"))
                .FirstOrDefault(HoldsServer);
            if (newest is not null)
            {
                return newest;
            }
        }
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(HoldsServer);
        return onPath is not null
            ? Path.GetFullPath(onPath)
            : throw NotFound($"(looked in {EnvironmentVariable}, pg_config --bindir, {DebianRoot}/<version>/bin and PATH)");
    }

    private static async Task<string?> PgConfigBinDirectoryAsync()
    {
        if (ExternalCommand.FindOnPath("pg_config") is not { } pgConfig)
        {
            return null;
        }
        try
        {
            var result = await ExternalCommand.RunAsync(new ProcessStartInfo(pgConfig, "--bindir"), CancellationToken.None);
            return result.ExitCode == 0 ? result.Output.Trim() : null;
        }
        catch (TempPostgresException)
        {
            return null; // not runnable; the other places may still have a server
        }
    }

    private static bool HoldsServer(string directory) =>
        File.Exists(Path.Combine(directory, "postgres")) && File.Exists(Path.Combine(directory, "initdb"));

    private static TempPostgresException NotFound(string where) =>
        new($"PostgreSQL server binaries (initdb, postgres) not found {where}. {InstallHint}");

    private static async Task<int> ReadMajorVersionAsync(string directory)
    {
        // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"; --version is answered even as root.
        var program = Path.Combine(directory, "postgres");
        var result = await ExternalCommand.RunAsync(new ProcessStartInfo(program, "--version"), CancellationToken.None);
        const string marker = "(PostgreSQL) ";
        var at = result.Output.IndexOf(marker, StringComparison.Ordinal);
        if (result.ExitCode == 0 && at >= 0)
        {
            var digits = new string(result.Output[(at + marker.Length)..].TakeWhile(char.IsAsciiDigit).ToArray());
            if (int.TryParse(digits, out var major))
            {
                return major;
            }
        }
        throw new TempPostgresException($"Could not read the server version from '{program} --version': {result.Output.Trim()}");
    }
}
