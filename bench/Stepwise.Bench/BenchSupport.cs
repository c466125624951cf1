using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Stepwise.Bench;

/// <summary>What the migration benchmarks share: generated directories, timed processes, the CLI's location, result rows.</summary>
internal static partial class BenchSupport
{
    /// <summary>
    /// Writes <paramref name="count"/> one-table migrations in dbmate's format (which Stepwise also reads),
    /// so both tools run the very same files. Versions are zero-padded so name order is version order for both.
    /// </summary>
    public static string WriteMigrations(string parent, int count)
    {
        var directory = Directory.CreateDirectory(Path.Combine(parent, "migrations")).FullName;
        var width = count.ToString(CultureInfo.InvariantCulture).Length;
        for (var n = 1; n <= count; n++)
        {
            var version = n.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0');
            File.WriteAllText(Path.Combine(directory, $"{version}_create_t{n}.sql"),
                $"-- migrate:up\nCREATE TABLE t_{n} (id bigint primary key, name text);\n\n-- migrate:down\nDROP TABLE t_{n};\n");
        }
        return directory;
    }

    /// <summary>A scratch directory that the server's OS user can read too (it runs as another user under root).</summary>
    public static DirectoryInfo CreateScratch(string name) =>
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"stepwise-bench-{name}-" + Guid.NewGuid().ToString("N")[..8]));

    /// <summary>A libpq-style URL, the one form both dbmate and Stepwise take.</summary>
    public static string Url(int port, string database) => $"postgres://postgres@127.0.0.1:{port}/{database}?sslmode=disable";

    /// <summary>
    /// Runs a program to completion and returns the wall time from start to exit and the CPU time it used.
    /// Output is read (and kept for errors) so a full pipe never stalls the child; a non-zero exit code other
    /// than <paramref name="allowedExitCode"/> throws.
    /// </summary>
    public static async Task<Timing> TimeProcessAsync(string program, IEnumerable<string> arguments, string workingDirectory, int allowedExitCode = 0)
    {
        var startInfo = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        // Neither tool should pick a database or directory from the bench's own environment.
        foreach (var variable in new[] { "DATABASE_URL", "STEPWISE_DATABASE_URL", "DBMATE_MIGRATIONS_DIR", "DBMATE_SCHEMA_FILE", "DBMATE_NO_DUMP_SCHEMA" })
        {
            startInfo.Environment.Remove(variable);
        }
        var cpu = ChildrenCpu();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var elapsed = new Timing(clock.Elapsed.TotalMilliseconds, (ChildrenCpu() - cpu).TotalMilliseconds);
        var output = await stdout + await stderr;
        if (process.ExitCode != 0 && process.ExitCode != allowedExitCode)
        {
            var tail = string.Join('\n', output.Split('\n').TakeLast(20));
            throw new InvalidOperationException($"{program} {string.Join(' ', startInfo.ArgumentList)} exited with {process.ExitCode}:\n{tail}");
        }
        return elapsed;
    }

    /// <summary>Times an in-process action: wall time, and the CPU time of the whole bench process meanwhile.</summary>
    public static async Task<Timing> TimeAsync(Func<Task> action)
    {
        using var self = Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await action();
        var wall = clock.Elapsed.TotalMilliseconds;
        self.Refresh();
        return new Timing(wall, (self.TotalProcessorTime - cpu).TotalMilliseconds);
    }

    /// <summary>
    /// User + system CPU time of all children that have exited and been waited for (getrusage RUSAGE_CHILDREN):
    /// the difference around one child's run is that child's CPU time, threads included.
    /// </summary>
    private static unsafe TimeSpan ChildrenCpu()
    {
        // struct rusage on 64-bit Linux: ru_utime and ru_stime (struct timeval: seconds, microseconds), then 14 longs.
        var usage = stackalloc long[18];
        if (GetRusage(-1 /* RUSAGE_CHILDREN */, usage) != 0)
        {
            return TimeSpan.Zero;
        }
        return TimeSpan.FromSeconds(usage[0] + usage[2]) + TimeSpan.FromMicroseconds(usage[1] + usage[3]);
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static unsafe partial int GetRusage(int who, long* usage);

    /// <summary>
    /// CPU time the server has used so far: the postmaster and its live children (backends, checkpointer, ...)
    /// plus the children it has reaped, so a finished client session is counted once its backend has exited.
    /// </summary>
    public static TimeSpan ServerCpu(int postmasterPid)
    {
        var (self, reaped) = ProcTimes(postmasterPid) ?? default;
        var total = self + reaped;
        foreach (var child in ServerChildren(postmasterPid))
        {
            total += ProcTimes(child)?.Self ?? 0;
        }
        // /proc counts in clock ticks, 100 per second on Linux.
        return TimeSpan.FromMilliseconds(total * 10);
    }

    /// <summary>Waits (up to a second) until the server has no more child processes than <paramref name="count"/>: the backends of a finished client are gone.</summary>
    public static async Task WaitForServerChildrenAsync(int postmasterPid, int count)
    {
        for (var i = 0; i < 100 && ServerChildren(postmasterPid).Count > count; i++)
        {
            await Task.Delay(10);
        }
    }

    public static List<int> ServerChildren(int postmasterPid)
    {
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && ProcStat(pid) is { } fields
                && fields[1] == postmasterPid.ToString(CultureInfo.InvariantCulture))
            {
                children.Add(pid);
            }
        }
        return children;
    }

    /// <summary>utime + stime, and cutime + cstime, of a process, in clock ticks; null when it is gone.</summary>
    private static (long Self, long Reaped)? ProcTimes(int pid)
    {
        if (ProcStat(pid) is not { } f)
        {
            return null;
        }
        var l = (int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
        return (l(11) + l(12), l(13) + l(14));
    }

    /// <summary>The fields of /proc/[pid]/stat after the command name (state is [0], ppid [1], utime [11]).</summary>
    private static string[]? ProcStat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The 1-minute load average: the bench shares its machine, and a busy one inflates wall times.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    /// <summary>
    /// Stepwise.Cli.dll as built for this configuration (the bench project references the CLI project, so
    /// <c>dotnet run -c Release</c> builds both); the repository is found from the bench's own output directory.
    /// </summary>
    public static string StepwiseCliDll()
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Stepwise.slnx")))
            {
                var dll = Path.Combine(dir.FullName, "src", "Stepwise.Cli", "bin", configuration, "net10.0", "Stepwise.Cli.dll");
                return File.Exists(dll)
                    ? dll
                    : throw new BenchSetupException($"{dll} is missing: build it with dotnet build -c {configuration} src/Stepwise.Cli");
            }
        }
        throw new BenchSetupException("could not find the repository (Stepwise.slnx) above " + AppContext.BaseDirectory);
    }

    /// <summary>The dbmate binary named by the DBMATE environment variable.</summary>
    public static string? Dbmate(bool required)
    {
        var path = Environment.GetEnvironmentVariable("DBMATE");
        if (!string.IsNullOrEmpty(path) && File.Exists(path))
        {
            return path;
        }
        if (!required)
        {
            return null;
        }
        throw new BenchSetupException(
            (string.IsNullOrEmpty(path) ? "DBMATE is not set" : $"DBMATE={path} does not exist") + """
            : this benchmark runs dbmate, from its npm package (a prebuilt binary). Install it outside the repository and point DBMATE at the binary:
                cd <a folder outside the repository> && npm install dbmate
                export DBMATE="$PWD/node_modules/@dbmate/linux-x64/bin/dbmate"   # another platform: @dbmate/<os>-<arch>
            """);
    }

    /// <summary>The first line a program prints for <paramref name="argument"/>, e.g. its version.</summary>
    public static string FirstLine(string program, string argument)
    {
        var startInfo = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        startInfo.ArgumentList.Add(argument);
        using var process = Process.Start(startInfo)!;
        var text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return text.Split('\n')[0].Trim();
    }

    /// <summary>Median of an odd-sized sample (the middle one when sorted).</summary>
    public static double Median(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    /// <summary>A markdown row: name, then min, median and max wall time, then median CPU time, in milliseconds.</summary>
    public static string Row(string name, IReadOnlyCollection<Timing> samples, string format = "0")
    {
        var sorted = samples.Select(s => s.WallMs).Order().ToArray();
        var f = (double v) => v.ToString(format, CultureInfo.InvariantCulture);
        return $"| {name} | {f(sorted[0])} | {f(sorted[sorted.Length / 2])} | {f(sorted[^1])} | {f(Median(samples.Select(s => s.CpuMs)))} |";
    }

    public static string Header(string first, params string[] more) =>
        $"| {first} | min ms | median ms | max ms | client CPU ms (median) |{string.Concat(more.Select(m => $" {m} |"))}\n|---|---:|---:|---:|---:|{string.Concat(more.Select(_ => "---:|"))}";

    /// <summary>The machine, for the header of a result.</summary>
    public static string Machine()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} CPUs, .NET {Environment.Version}");
        text.Append(CultureInfo.InvariantCulture, $", TMPDIR {Path.GetTempPath()}");
        var root = Environment.GetEnvironmentVariable("STEPWISE_PG_ROOT");
        if (!string.IsNullOrEmpty(root))
        {
            text.Append(CultureInfo.InvariantCulture, $", STEPWISE_PG_ROOT {root}");
        }
        return text.ToString();
    }
}

/// <summary>One measurement: wall time, and the CPU time the measured process used (user + system).</summary>
internal readonly record struct Timing(double WallMs, double CpuMs);

/// <summary>Something the benchmark needs is missing; the message says how to get it.</summary>
internal sealed class BenchSetupException(string message) : Exception(message);
