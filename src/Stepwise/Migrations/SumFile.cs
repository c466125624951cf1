using Stepwise.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Stepwise.Migrations;

/// <summary>
/// <c>stepwise.sum</c>: a chained hash over every migration file. Each line holds a file name and the
/// hash of that file's content together with the hash of the line before it, so an edit, insertion,
/// removal or reordering changes that line and every one after it; the first line is a hash of all the
/// lines, so a hand edit of the file itself shows. Two branches that each add a migration both change
/// the end of the file and the first line, so version control reports a conflict instead of merging.
/// A file <c>stepwise new</c> created is listed as <c>in-progress</c> instead of with a hash: its content is
/// not checked (it is still being written), only its place; <c>stepwise hash</c> seals it.
/// </summary>
public sealed class SumFile
{
    /// <summary>The file name inside a migration directory.</summary>
    public const string FileName = "stepwise.sum";

    private const string Prefix = "h1:";

    /// <summary>What the line of a file being written says instead of its hash.</summary>
    public const string InProgressMarker = "in-progress";

    private SumFile(string total, IReadOnlyList<(string File, string Hash)> entries)
    {
        Total = total;
        Entries = entries;
    }

    /// <summary>The hash of all entry lines, as written on the first line.</summary>
    public string Total { get; }

    /// <summary>File name and chained hash, in directory order.</summary>
    public IReadOnlyList<(string File, string Hash)> Entries { get; }

    /// <summary>The files listed as in progress (content not checked).</summary>
    public IReadOnlySet<string> InProgress => Entries.Where(e => e.Hash == InProgressMarker).Select(e => e.File).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Computes the sum of files given in directory order with their normalised content; files in
    /// <paramref name="inProgress"/> are listed as in progress and chain by name only, so editing them changes no line.
    /// </summary>
    public static SumFile Compute(IEnumerable<(string File, byte[] Content)> files, IReadOnlySet<string>? inProgress = null)
    {
        var entries = new List<(string, string)>();
        var previous = Array.Empty<byte>();
        // One hash object for every line: each one set up anew costs more than hashing a small file.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (file, content) in files)
        {
            var open = inProgress?.Contains(file) == true;
            hash.AppendData(previous);
            hash.AppendData(Encoding.UTF8.GetBytes(file + "\n"));
            hash.AppendData(open ? Encoding.UTF8.GetBytes(InProgressMarker) : content);
            previous = hash.GetHashAndReset();
            entries.Add((file, open ? InProgressMarker : Prefix + Convert.ToBase64String(previous)));
        }
        return new SumFile(TotalOf(entries), entries);
    }

    /// <summary>The file's text: the total, then one line per file.</summary>
    public string Render()
    {
        var sb = new StringBuilder(Prefix).Append(Total).Append('\n');
        foreach (var (file, hash) in Entries)
        {
            sb.Append(file).Append(' ').Append(hash).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Reads a sum file; problems (malformed lines, a total that does not match) are added to <paramref name="problems"/>.</summary>
    internal static SumFile? Parse(string text, string displayPath, List<MigrationProblem> problems)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        if (lines.Length == 0 || !lines[0].StartsWith(Prefix, StringComparison.Ordinal))
        {
            problems.Add(new MigrationProblem(Severity.Error, "sum-malformed", displayPath, 1, 1,
                "the first line must be the total, h1:<hash>", "regenerate it with: stepwise hash"));
            return null;
        }
        var entries = new List<(string, string)>();
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0)
            {
                continue;
            }
            var space = line.LastIndexOf(' ');
            if (space <= 0 || !line.AsSpan(space + 1).StartsWith(Prefix, StringComparison.Ordinal) && line[(space + 1)..] != InProgressMarker)
            {
                problems.Add(new MigrationProblem(Severity.Error, "sum-malformed", displayPath, i + 1, 1,
                    "expected '<file> h1:<hash>' or '<file> in-progress'", "regenerate it with: stepwise hash"));
                return null;
            }
            entries.Add((line[..space], line[(space + 1)..]));
        }
        var total = lines[0][Prefix.Length..];
        if (total != TotalOf(entries))
        {
            problems.Add(new MigrationProblem(Severity.Error, "sum-edited", displayPath, 1, 1,
                "stepwise.sum was edited by hand: its first line does not match the lines below it",
                "check what changed in the migration directory, then rewrite it with: stepwise hash"));
        }
        return new SumFile(total, entries);
    }

    /// <summary>
    /// Compares the recorded sum with the directory's: reports the first line that differs and why
    /// (a file edited, added, removed, or moved), since every later line differs as a consequence.
    /// </summary>
    internal void CheckAgainst(SumFile actual, string displayPath, string directoryPath, List<MigrationProblem> problems)
    {
        var count = Math.Max(Entries.Count, actual.Entries.Count);
        for (var i = 0; i < count; i++)
        {
            var recorded = i < Entries.Count ? Entries[i] : default;
            var current = i < actual.Entries.Count ? actual.Entries[i] : default;
            if (recorded == current)
            {
                continue;
            }
            string message;
            if (recorded.File == current.File)
            {
                message = $"{current.File} was changed after stepwise.sum was written";
            }
            else if (current.File is null)
            {
                message = $"{recorded.File} is listed in stepwise.sum but is not in the directory";
            }
            else if (recorded.File is null || !Entries.Any(e => e.File == current.File))
            {
                message = $"{current.File} is not in stepwise.sum (added without 'stepwise new' or 'stepwise hash')";
            }
            else if (!actual.Entries.Any(e => e.File == recorded.File))
            {
                message = $"{recorded.File} is listed in stepwise.sum but is not in the directory";
            }
            else
            {
                message = $"the order of migrations changed at {current.File} (a file was renamed or a version inserted)";
            }
            problems.Add(new MigrationProblem(Severity.Error, "sum-mismatch", displayPath, i + 2, 1, message,
                $"if the change is intended, rewrite the sum with: stepwise hash --dir {directoryPath}; after a merge conflict in stepwise.sum, keep both sides' files and run stepwise hash"));
            return;
        }
        if (Total != actual.Total && problems.All(p => p.Code != "sum-edited"))
        {
            problems.Add(new MigrationProblem(Severity.Error, "sum-edited", displayPath, 1, 1,
                "stepwise.sum's total does not match", "rewrite it with: stepwise hash"));
        }
    }

    private static string TotalOf(IEnumerable<(string File, string Hash)> entries)
    {
        var sb = new StringBuilder();
        foreach (var (file, hash) in entries)
        {
            sb.Append(file).Append(' ').Append(hash).Append('\n');
        }
        return Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }
}
