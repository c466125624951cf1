using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Stepwise.Diagnostics;
using Stepwise.Operations;

namespace Stepwise.Migrations;

/// <summary>Limits applied when reading a directory.</summary>
public sealed class MigrationDirectoryOptions
{
    /// <summary>Largest migration file accepted (default 10 MiB): bulk data belongs in COPY, not in a migration.</summary>
    public long MaxFileBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>When false, files are read and hashed but not parsed (enough for status).</summary>
    public bool Parse { get; set; } = true;
}

/// <summary>
/// A migration directory, read and checked: versioned migrations in version order, repeatable ones in
/// name order, the sum file, and every problem found (bad names, duplicate versions, files that are
/// not UTF-8 or too large, syntax errors, bad directives, a sum that does not match). Loading never
/// throws for bad content; it reports.
/// </summary>
public sealed partial class MigrationDirectory
{
    private readonly IReadOnlyList<(string File, byte[] Content)> _contents;

    private MigrationDirectory(string path, IReadOnlyList<Migration> versioned, IReadOnlyList<Migration> repeatable,
        IReadOnlyList<MigrationProblem> problems, SumFile computedSum, bool hasSumFile, IReadOnlyList<(string File, byte[] Content)>? contents = null, IReadOnlySet<string>? inProgress = null)
    {
        _contents = contents ?? [];
        InProgress = inProgress ?? new HashSet<string>();
        Path = path;
        Versioned = versioned;
        Repeatable = repeatable;
        Problems = problems;
        ComputedSum = computedSum;
        HasSumFile = hasSumFile;
    }

    /// <summary>The directory as given.</summary>
    public string Path { get; }

    /// <summary>Versioned migrations, ordered by version.</summary>
    public IReadOnlyList<Migration> Versioned { get; }

    /// <summary>Repeatable migrations, ordered by file name.</summary>
    public IReadOnlyList<Migration> Repeatable { get; }

    /// <summary>Every problem found, errors and warnings, in file order.</summary>
    public IReadOnlyList<MigrationProblem> Problems { get; }

    /// <summary>True when any problem is an error: nothing may be applied from this directory.</summary>
    public bool HasErrors => Problems.Any(p => p.Severity == Severity.Error);

    /// <summary>The sum of the directory as it is now, every file sealed (what <c>stepwise hash</c> writes).</summary>
    public SumFile ComputedSum { get; }

    /// <summary>Files <c>stepwise.sum</c> lists as in progress (created by <c>stepwise new</c>, not sealed yet): their edits are not checked.</summary>
    public IReadOnlySet<string> InProgress { get; }

    /// <summary>The sum with <paramref name="inProgress"/> listed as in progress and every other file sealed (what <c>stepwise new</c> writes).</summary>
    public SumFile SumWithInProgress(IReadOnlySet<string> inProgress) => SumFile.Compute(_contents, inProgress);

    /// <summary>True when the directory has a <c>stepwise.sum</c>.</summary>
    public bool HasSumFile { get; }

    /// <summary>All migrations: versioned in order, then repeatable.</summary>
    public IEnumerable<Migration> All => Versioned.Concat(Repeatable);

    /// <summary>Reads and checks the directory at <paramref name="path"/>.</summary>
    public static MigrationDirectory Load(string path, MigrationDirectoryOptions? options = null) =>
        Load(MigrationSource.FromDirectory(path), options);

    /// <summary>Reads and checks the migration files of <paramref name="source"/> (a folder, embedded resources, ...).</summary>
    public static MigrationDirectory Load(MigrationSource source, MigrationDirectoryOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= new MigrationDirectoryOptions();
        var path = source.Path;
        var problems = new List<MigrationProblem>();
        var versioned = new List<Migration>();
        var repeatable = new List<Migration>();
        var contents = new Dictionary<Migration, byte[]>();
        string? sumText = null;

        var files = source.List();
        if (files is null)
        {
            problems.Add(new MigrationProblem(Severity.Error, "no-directory", path, 0, 0, source.Missing, source.MissingHint));
            return new MigrationDirectory(path, [], [], problems, SumFile.Compute([]), false);
        }

        var unread = new List<string>();
        var gooseFiles = new List<string>();
        var sqlMigrateFiles = new List<string>();
        var plainSqlFiles = new List<string>(); // versioned .sql files of SQL without a directive line (no section)
        var ternFiles = new List<string>();
        // One hash object for every file: each one set up anew (SHA256.HashData) costs more than hashing a small file.
        using var checksum = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files.OrderBy(f => f.DisplayPath, StringComparer.Ordinal))
        {
            var fileName = file.FileName;
            var display = System.IO.Path.Combine(path, fileName);
            if (fileName == SumFile.FileName)
            {
                try
                {
                    sumText = Encoding.UTF8.GetString(file.Read()).TrimStart('\uFEFF');
                }
                catch (MigrationFileUnreadableException ex)
                {
                    problems.Add(new MigrationProblem(Severity.Error, "unreadable-file", display, 0, 0, ex.Message, ex.Hint));
                }
                continue;
            }
            var before = problems.Count;
            if (!TryClassify(fileName, display, problems, out var kind, out var version, out var versionText, out var name))
            {
                if (problems.Count == before && !IsAllowedBeside(fileName))
                {
                    unread.Add(fileName);
                }
                continue;
            }
            var bytes = ReadChecked(file, display, options.MaxFileBytes, problems, out var text);
            if (bytes is null)
            {
                continue;
            }
            if (ForeignLayout.GooseUp().IsMatch(text!))
            {
                gooseFiles.Add(fileName);
            }
            else if (ForeignLayout.SqlMigrateUp().IsMatch(text!))
            {
                sqlMigrateFiles.Add(fileName);
            }
            else if (ForeignLayout.TernSeparator().IsMatch(text!))
            {
                ternFiles.Add(fileName);
            }
            else if (kind == MigrationKind.Versioned && fileName.EndsWith(".sql", StringComparison.Ordinal) && !string.IsNullOrWhiteSpace(text) && !ForeignLayout.Directive().IsMatch(text!))
            {
                plainSqlFiles.Add(fileName);
            }
            var migration = new Migration(kind, version, versionText, name, fileName, file.DisplayPath, "sha256:" + Convert.ToHexStringLower(Checksum(checksum, bytes)));
            contents[migration] = bytes;
            (kind == MigrationKind.Versioned ? versioned : repeatable).Add(migration);
            if (options.Parse && migration.IsOperationMigration)
            {
                migration.Operations = OperationFileReader.Read(text!, display, problems);
            }
            else if (options.Parse)
            {
                MigrationFileReader.Read(migration, text!, display, problems);
            }
        }

        var folders = source.Folders();
        unread.AddRange(folders.Where(f => !f.Name.StartsWith('.')).Select(f => f.Name + "/"));
        if (ForeignLayout.Detect([.. files.Select(f => f.FileName)], [.. folders.Select(f => f.Name)], gooseFiles, sqlMigrateFiles, ternFiles,
                (folder, file) => folders.Any(f => f.Name == folder && f.HasFile(file)),
                // One such file is more likely a Stepwise file missing its marker (its own error says so) than sqlx's directory.
                plainSqlFiles.Count > 1 && plainSqlFiles.Count == versioned.Count(m => m.FileName.EndsWith(".sql", StringComparison.Ordinal)) ? plainSqlFiles : []) is { } foreign)
        {
            // Another tool's directory: one error naming the tool and the import, not one per file it holds.
            bool Theirs(string file) => foreign.Entries.Contains(file) || foreign.Entries.Contains(file.TrimEnd('/'));
            versioned.RemoveAll(m => Theirs(m.FileName));
            repeatable.RemoveAll(m => Theirs(m.FileName));
            problems.RemoveAll(p => Theirs(System.IO.Path.GetFileName(p.File)));
            unread.RemoveAll(Theirs);
            problems.Insert(0, new MigrationProblem(Severity.Error, "foreign-layout", path, 0, 0,
                $"this is a {foreign.Tool} migration directory ({foreign.Evidence}), which Stepwise does not run as it is",
                ForeignLayout.Hint(foreign, path)));
        }
        if (unread.Count > 0)
        {
            problems.Add(new MigrationProblem(Severity.Error, "not-read", path, 0, 0,
                $"{unread.Count} entr{(unread.Count == 1 ? "y" : "ies")} Stepwise does not read: {string.Join(", ", unread.Take(5))}{(unread.Count > 5 ? ", ..." : "")}",
                "migrations are <version>_<name>.sql, <version>_<name>.yaml|.json and R_<name>.sql; move anything else out of the directory (README*, *.md and hidden files may stay)"));
        }

        versioned.Sort((a, b) => a.Version != b.Version ? a.Version.CompareTo(b.Version) : string.CompareOrdinal(a.FileName, b.FileName));
        repeatable.Sort((a, b) => string.CompareOrdinal(a.FileName, b.FileName));
        CheckDuplicates(path, versioned, repeatable, problems);

        var ordered = versioned.Concat(repeatable).Select(m => (m.FileName, contents[m])).ToList();
        var computed = SumFile.Compute(ordered);
        var sumDisplay = System.IO.Path.Combine(path, SumFile.FileName);
        IReadOnlySet<string> inProgress = new HashSet<string>();
        if (sumText is null)
        {
            if (versioned.Count + repeatable.Count > 0)
            {
                problems.Add(new MigrationProblem(Severity.Warning, "no-sum", sumDisplay, 0, 0,
                    "the directory has no stepwise.sum, so edits to applied migrations and version collisions between branches go unnoticed",
                    $"write it with: stepwise hash --dir {path} (and commit it)"));
            }
        }
        else if (SumFile.Parse(sumText, sumDisplay, problems) is { } recorded)
        {
            // A file still in progress is checked for its place, not its content.
            inProgress = recorded.InProgress;
            recorded.CheckAgainst(inProgress.Count == 0 ? computed : SumFile.Compute(ordered, inProgress), sumDisplay, path, problems);
        }

        return new MigrationDirectory(path, versioned, repeatable, problems, computed, sumText is not null, ordered, inProgress);
    }

    private static byte[] Checksum(IncrementalHash hash, byte[] bytes)
    {
        hash.AppendData(bytes);
        return hash.GetHashAndReset();
    }

    /// <summary>
    /// Files that may live beside migrations without being read: hidden ones (<c>.gitkeep</c>), READMEs and other
    /// Markdown notes, and Stepwise's own configuration. Anything else unread is an error, so nothing passes silently.
    /// </summary>
    private static bool IsAllowedBeside(string fileName) =>
        fileName.StartsWith('.') || fileName.StartsWith("README", StringComparison.OrdinalIgnoreCase)
        || fileName.EndsWith(".md", StringComparison.OrdinalIgnoreCase) || fileName == "stepwise.json";

    /// <summary>The versioned migration with <paramref name="version"/>, or null.</summary>
    public Migration? Find(long version) => Versioned.FirstOrDefault(m => m.Version == version);

    private static bool TryClassify(string fileName, string display, List<MigrationProblem> problems,
        out MigrationKind kind, out long version, out string versionText, out string name)
    {
        kind = MigrationKind.Versioned;
        version = 0;
        versionText = "";
        name = "";
        if (fileName.StartsWith('.'))
        {
            return false;
        }
        var extension = System.IO.Path.GetExtension(fileName);
        if (Migration.IsOperationFileName(fileName))
        {
            var stem = System.IO.Path.GetFileNameWithoutExtension(fileName) + ".sql";
            if (RepeatableName().IsMatch(stem))
            {
                problems.Add(new MigrationProblem(Severity.Error, "repeatable-operations", display, 0, 0,
                    "a repeatable migration cannot be an operation file: operations are applied once, through start and complete",
                    "write the repeatable migration as R_<name>.sql (CREATE OR REPLACE ...), or make it a versioned <version>_<name>" + extension));
                return false;
            }
            if (!VersionedName().IsMatch(stem))
            {
                return false; // configuration files and the like live beside migrations
            }
            if (extension != extension.ToLowerInvariant())
            {
                problems.Add(new MigrationProblem(Severity.Error, "bad-file-name", display, 0, 0,
                    $"the extension '{extension}' must be lowercase '{extension.ToLowerInvariant()}'", "rename the file"));
                return false;
            }
            return TryVersion(VersionedName().Match(stem), display, problems, out version, out versionText, out name);
        }
        if (!extension.Equals(".sql", StringComparison.OrdinalIgnoreCase))
        {
            return false; // READMEs and the like live beside migrations
        }
        if (extension != ".sql")
        {
            problems.Add(new MigrationProblem(Severity.Error, "bad-file-name", display, 0, 0,
                $"the extension '{extension}' must be lowercase '.sql'", "rename the file"));
            return false;
        }
        var repeatableMatch = RepeatableName().Match(fileName);
        if (repeatableMatch.Success)
        {
            kind = MigrationKind.Repeatable;
            name = repeatableMatch.Groups["name"].Value;
            versionText = "R";
            return true;
        }
        var match = VersionedName().Match(fileName);
        if (!match.Success)
        {
            problems.Add(new MigrationProblem(Severity.Error, "bad-file-name", display, 0, 0,
                "not a migration file name: expected <version>_<name>.sql (version: digits), <version>_<name>.yaml|.json (operations) or R_<name>.sql",
                "rename it, e.g. 20261121093000_add_users.sql, or create migrations with: stepwise new <name>" + (fileName.EndsWith(".sql", StringComparison.OrdinalIgnoreCase)
                    ? " (scripts DbUp runs, any *.sql in name order, convert with: stepwise import dbup <directory> --out <new directory>)" : "")));
            return false;
        }
        return TryVersion(match, display, problems, out version, out versionText, out name);
    }

    private static bool TryVersion(Match match, string display, List<MigrationProblem> problems, out long version, out string versionText, out string name)
    {
        versionText = match.Groups["version"].Value;
        name = match.Groups["name"].Value;
        if (!long.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out version) || version <= 0)
        {
            problems.Add(new MigrationProblem(Severity.Error, "bad-version", display, 0, 0,
                $"version '{versionText}' must be a positive integer below 9223372036854775808", "rename the file"));
            return false;
        }
        return true;
    }

    /// <summary>The file's bytes (BOM removed, CRLF as LF) after checking its size and encoding; null on a problem.</summary>
    private static byte[]? ReadChecked(MigrationSourceFile file, string display, long maxBytes, List<MigrationProblem> problems, out string? text)
    {
        text = null;
        long length;
        byte[]? bytes;
        try
        {
            (length, bytes) = file.ReadUpTo(maxBytes);
        }
        catch (MigrationFileUnreadableException ex)
        {
            problems.Add(new MigrationProblem(Severity.Error, "unreadable-file", display, 0, 0, ex.Message, ex.Hint));
            return null;
        }
        if (bytes is null)
        {
            problems.Add(new MigrationProblem(Severity.Error, "file-too-large", display, 0, 0,
                $"the file is {length / (1024.0 * 1024.0):F1} MiB; migrations over {maxBytes / (1024 * 1024)} MiB are refused",
                "load bulk data with COPY outside the migration, or split the file"));
            return null;
        }
        text = Decode(bytes, display, problems);
        // The hash is of the normalised text; most files are normalised already, and their bytes serve as they are.
        return text is null ? null : text.Length == bytes.Length && !bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? bytes : Encoding.UTF8.GetBytes(text);
    }

    /// <summary>
    /// A migration file's text (BOM removed, CRLF as LF), or null with a problem saying why it is not one:
    /// UTF-16, binary (a NUL byte early on), or not UTF-8. The one check of a file's encoding, for every reader.
    /// </summary>
    internal static string? Decode(byte[] bytes, string display, List<MigrationProblem> problems)
    {
        if (bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            problems.Add(new MigrationProblem(Severity.Error, "not-utf8", display, 1, 1, "the file is UTF-16 (it starts with a UTF-16 byte order mark)", "save the file as UTF-8"));
            return null;
        }
        var start = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        var nul = Array.IndexOf(bytes, (byte)0, start, Math.Min(bytes.Length - start, 8192));
        if (nul >= 0)
        {
            problems.Add(new MigrationProblem(Severity.Error, "binary-file", display, 0, 0, $"a binary file, not SQL (a NUL byte at offset {nul})",
                "move it out of the migration directory; migrations are UTF-8 text"));
            return null;
        }
        var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        try
        {
            return strict.GetString(bytes, start, bytes.Length - start).Replace("\r\n", "\n", StringComparison.Ordinal);
        }
        catch (DecoderFallbackException ex)
        {
            var bad = Math.Min(bytes.Length - 1, start + Math.Max(0, ex.Index));
            var before = new UTF8Encoding(false, false).GetString(bytes, start, Math.Max(0, bad - start));
            var line = 1 + before.Count(c => c == '\n');
            var column = before.Length - (before.LastIndexOf('\n') + 1) + 1;
            problems.Add(new MigrationProblem(Severity.Error, "not-utf8", display, line, column,
                $"the file is not UTF-8 (byte 0x{bytes[bad]:X2} at offset {bad})", "save the file as UTF-8"));
            return null;
        }
    }

    private static void CheckDuplicates(string path, List<Migration> versioned, List<Migration> repeatable, List<MigrationProblem> problems)
    {
        foreach (var group in versioned.GroupBy(m => m.Version).Where(g => g.Count() > 1))
        {
            var first = group.First();
            foreach (var other in group.Skip(1))
            {
                var caseOnly = string.Equals(first.FileName, other.FileName, StringComparison.OrdinalIgnoreCase);
                problems.Add(new MigrationProblem(Severity.Error, "duplicate-version", System.IO.Path.Combine(path, other.FileName), 0, 0,
                    caseOnly
                        ? $"{other.FileName} and {first.FileName} differ only in case (one file on macOS and Windows)"
                        : $"version {group.Key} is used by both {first.FileName} and {other.FileName}",
                    caseOnly ? "delete one of them" : "give one of them a new version, e.g. recreate it with: stepwise new <name>"));
            }
        }
        foreach (var group in repeatable.GroupBy(m => m.FileName, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            foreach (var other in group.Skip(1))
            {
                problems.Add(new MigrationProblem(Severity.Error, "duplicate-name", System.IO.Path.Combine(path, other.FileName), 0, 0,
                    $"{other.FileName} and {group.First().FileName} differ only in case (one file on macOS and Windows)", "delete or rename one of them"));
            }
        }
    }

    [GeneratedRegex(@"^(?<version>\d+)_(?<name>[^/\\]+)\.sql$")]
    private static partial Regex VersionedName();

    [GeneratedRegex(@"^R_(?<name>[^/\\]+)\.sql$")]
    private static partial Regex RepeatableName();
}
