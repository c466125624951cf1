using Stepwise.Cli;

namespace Stepwise.Tests.Cli;

public class StartupPagesTests
{
    /// <summary>The executable's mappings in /proc/self/maps: start, end, permissions.</summary>
    private static List<(long Start, long End, string Permissions)> ExecutableMappings()
    {
        var executable = new FileInfo("/proc/self/exe").LinkTarget!;
        var mappings = new List<(long, long, string)>();
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 6 && parts[5].Trim() == executable)
            {
                var range = parts[0].Split('-');
                mappings.Add((Convert.ToInt64(range[0], 16), Convert.ToInt64(range[1], 16), parts[1]));
            }
        }
        return mappings;
    }

    [Fact]
    public void Only_pages_of_the_executable_that_are_never_written_are_chosen()
    {
        var segments = StartupPages.ReadOnlySegments();
        var mappings = ExecutableMappings();

        Assert.NotEmpty(segments);
        foreach (var (start, length) in segments)
        {
            Assert.Equal(0, start % Environment.SystemPageSize);
            Assert.Equal(0u, length % (nuint)Environment.SystemPageSize);
            // Every page inside a mapping of the executable itself, none of them writable (nor the part of the writable
            // segment made read-only after relocation, whose pages hold the relocated values).
            for (var page = (long)start; page < (long)start + (long)length; page += Environment.SystemPageSize)
            {
                var mapping = Assert.Single(mappings, m => m.Start <= page && page < m.End);
                Assert.DoesNotContain('w', mapping.Permissions);
            }
        }
        Assert.DoesNotContain(mappings, m => m.Permissions.Contains('w') && segments.Any(s => (long)s.Start < m.End && m.Start < (long)s.Start + (long)s.Length));
    }

    [Fact]
    public void Released_pages_leave_the_resident_set_and_the_process_runs_on()
    {
        long Resident()
        {
            var executable = new FileInfo("/proc/self/exe").LinkTarget!;
            long total = 0;
            var ours = false;
            foreach (var line in File.ReadLines("/proc/self/smaps"))
            {
                var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 5 && parts[0].Contains('-', StringComparison.Ordinal) && !parts[0].EndsWith(':'))
                {
                    ours = parts.Length == 6 && parts[5].Trim() == executable && !parts[1].Contains('w');
                }
                else if (ours && parts[0] == "Rss:")
                {
                    total += long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            return total;
        }

        var before = Resident();
        StartupPages.ReleaseReadOnlySegments();
        var after = Resident();

        Assert.True(before > 0, "the test host's executable had no resident read-only pages to begin with");
        Assert.True(after < before, $"resident KB before {before}, after {after}");
        // The process still runs its code and reads its data.
        Assert.Equal(6, Enumerable.Range(1, 3).Sum());
    }
}
