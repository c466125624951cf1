using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Import;

/// <summary>
/// Reads an Atlas migration directory: <c>&lt;version&gt;[_&lt;name&gt;].sql</c> files checked against
/// <c>atlas.sum</c> first (a directory whose sum does not match is refused, naming the file, unless
/// <see cref="ImportOptions.IgnoreAtlasSum"/>; a missing one is reported). Each file becomes an up section;
/// <c>-- atlas:txmode none</c> becomes <c>-- stepwise:no-transaction</c>. Atlas's version (the name up to the
/// first <c>_</c>, e.g. <c>20230710111950-cas-backend</c>) is kept in the header; the Stepwise version is its leading digits.
/// </summary>
internal static partial class AtlasImport
{
    public const string SumFileName = "atlas.sum";

    public static ImportResult Read(string directory, ImportOptions options)
    {
        var problems = new List<MigrationProblem>();
        var all = SourceDirectory.Files(directory, ImportSource.Atlas);
        var files = all.Where(f => Path.GetFileName(f).EndsWith(".sql", StringComparison.Ordinal)).ToList();
        foreach (var other in all.Except(files).Where(f => Path.GetFileName(f) != SumFileName))
        {
            problems.Add(new MigrationProblem(Severity.Warning, "not-a-migration", other, 0, 0, "not converted: Atlas runs only the directory's .sql files", null));
        }
        var sumProblems = new List<MigrationProblem>();
        CheckSum(directory, files, sumProblems);
        // Checking atlas.sum needs no Atlas: a missing one is reported, a stale one refuses unless the user accepts it.
        problems.AddRange(sumProblems.Select(p => p.Code == "atlas-no-sum" || options.IgnoreAtlasSum
            ? p with { Severity = Severity.Warning, Message = p.Message + (p.Code == "atlas-no-sum" ? "; imported without that check" : "; imported anyway (--ignore-atlas-sum)"), Hint = null }
            : p));
        Importer.ThrowIfErrors("nothing was imported: atlas.sum does not match the directory (to import the files as they are, pass --ignore-atlas-sum)", problems);

        var converted = new List<(long Version, ImportedMigration Migration)>();
        foreach (var file in files)
        {
            var fileName = Path.GetFileName(file);
            var stem = fileName[..^".sql".Length];
            // Atlas's version is the name up to the first '_' (any text); Stepwise's is its leading digits.
            var underscore = stem.IndexOf('_', StringComparison.Ordinal);
            var atlasVersion = underscore < 0 ? stem : stem[..underscore];
            var digits = LeadingDigits().Match(stem).Value;
            var name = Importer.SafeName(stem[digits.Length..].TrimStart('_', '-', '.'));
            if (digits.Length == 0 || !long.TryParse(digits, out var version) || version <= 0)
            {
                problems.Add(new MigrationProblem(Severity.Error, "bad-version", file, 0, 0,
                    $"'{fileName}' does not start with a positive integer below 9223372036854775808, which Stepwise versions must be",
                    "rename the file in a copy of the directory so it starts with a number in Atlas's order, then import that with --ignore-atlas-sum"));
                continue;
            }
            var text = Importer.ReadText(file, problems);
            var noTransaction = false;
            foreach (var (start, end, line, column) in MigrationText.LineComments(text))
            {
                var match = AtlasDirective().Match(text[start..end]);
                if (!match.Success)
                {
                    continue;
                }
                var directive = match.Groups["name"].Value;
                var argument = match.Groups["arg"].Value.Trim();
                switch (directive)
                {
                    case "txmode" when argument == "none":
                        noTransaction = true;
                        break;
                    case "txmode" when argument is "file" or "all":
                        break;
                    case "delimiter":
                        problems.Add(new MigrationProblem(Severity.Error, "atlas-delimiter", file, line, column,
                            "-- atlas:delimiter has no Stepwise equivalent: Stepwise splits statements with PostgreSQL's parser",
                            "remove the directive and end each statement with a semicolon in a copy of the directory, then import that"));
                        break;
                    case "checkpoint":
                        problems.Add(new MigrationProblem(Severity.Error, "atlas-checkpoint", file, line, column,
                            "a checkpoint file repeats the schema of the files before it, so both cannot be imported as migrations",
                            "import a copy of the directory without the checkpoint file or without the files it replaces"));
                        break;
                    default:
                        problems.Add(new MigrationProblem(Severity.Warning, "atlas-directive", file, line, column,
                            $"not converted: -- atlas:{directive} is kept as an ordinary comment", null));
                        break;
                }
            }
            MigrationText.WarnPlaceholders(text, file, "Atlas", problems);
            converted.Add((version, new ImportedMigration($"{digits}_{name}.sql",
                MigrationText.Versioned(ImportOrigin.Header(ImportSource.Atlas, fileName, atlasVersion), text, null, noTransaction), fileName, atlasVersion)));
        }
        // Atlas applies files in name order; the numbers must keep that order.
        Importer.CheckNameOrder(converted, ImportSource.Atlas, directory, problems,
            "rename them in a copy of the directory so numbers and names agree, then import that with --ignore-atlas-sum");

        Importer.CheckDuplicateVersions(converted, directory, problems, "give one of them a new version");
        Importer.ThrowIfErrors("nothing was imported", problems);
        return new ImportResult(ImportSource.Atlas, directory, [.. converted.OrderBy(c => c.Version).Select(c => c.Migration)],
            [.. problems.Where(p => p.Severity == Severity.Warning)]);
    }

    /// <summary>Checks <c>atlas.sum</c> against the files, as <c>atlas migrate validate</c> would.</summary>
    private static void CheckSum(string directory, List<string> files, List<MigrationProblem> problems)
    {
        var sumPath = Path.Combine(directory, SumFileName);
        if (!File.Exists(sumPath))
        {
            problems.Add(new MigrationProblem(Severity.Error, "atlas-no-sum", sumPath, 0, 0,
                "the directory has no atlas.sum, so its files cannot be checked", "write it with: atlas migrate hash (after checking the files are the ones applied)"));
            return;
        }
        var lines = File.ReadAllText(sumPath).Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var recorded = new List<(string File, string Hash)>();
        for (var i = 1; i < lines.Count; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }
            var at = lines[i].IndexOf("h1:", StringComparison.Ordinal);
            if (at < 0)
            {
                problems.Add(new MigrationProblem(Severity.Error, "atlas-sum-malformed", sumPath, i + 1, 1, "expected '<file> h1:<hash>'", "write it again with: atlas migrate hash"));
                return;
            }
            recorded.Add((lines[i][..at].Trim(), lines[i][(at + 3)..]));
        }
        if (lines.Count == 0 || !lines[0].StartsWith("h1:", StringComparison.Ordinal) || lines[0][3..] != Total(recorded))
        {
            problems.Add(new MigrationProblem(Severity.Error, "atlas-sum-edited", sumPath, 1, 1,
                "atlas.sum's first line does not match the lines below it (edited by hand or merged)", "check the directory, then write it again with: atlas migrate hash"));
            return;
        }
        var actual = Compute(files.Select(f => (Path.GetFileName(f), File.ReadAllBytes(f))));
        var count = Math.Max(recorded.Count, actual.Count);
        for (var i = 0; i < count; i++)
        {
            var want = i < recorded.Count ? recorded[i] : default;
            var have = i < actual.Count ? actual[i] : default;
            if (want == have)
            {
                continue;
            }
            var message = want.File == have.File ? $"{have.File} was changed after atlas.sum was written"
                : have.File is null ? $"{want.File} is listed in atlas.sum but is not in the directory"
                : !recorded.Any(r => r.File == have.File) ? $"{have.File} is not in atlas.sum"
                : $"{want.File} is listed in atlas.sum but is not in the directory";
            problems.Add(new MigrationProblem(Severity.Error, "atlas-sum-mismatch", Path.Combine(directory, have.File ?? want.File!), 0, 0, message,
                "restore the file as Atlas applied it, or if the change is intended run atlas migrate hash, then import again"));
            return;
        }
    }

    /// <summary>
    /// Atlas's per-file hashes: one SHA-256 runs over the files in name order, taking each file's name and
    /// then its bytes; each file's hash is that running digest so far (base64). A file whose first line is
    /// <c>atlas:sum ignore</c> adds its name but not its content, and has no line.
    /// </summary>
    internal static List<(string File, string Hash)> Compute(IEnumerable<(string Name, byte[] Content)> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var result = new List<(string, string)>();
        foreach (var (name, content) in files.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            if (SumIgnore().IsMatch(Encoding.UTF8.GetString(content)))
            {
                continue;
            }
            hash.AppendData(content);
            result.Add((name, Convert.ToBase64String(hash.GetCurrentHash())));
        }
        return result;
    }

    /// <summary>The first line of <c>atlas.sum</c>: SHA-256 over every entry's name and hash, base64.</summary>
    internal static string Total(IEnumerable<(string File, string Hash)> entries)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (file, h) in entries)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file));
            hash.AppendData(Encoding.UTF8.GetBytes(h));
        }
        return Convert.ToBase64String(hash.GetHashAndReset());
    }

    /// <summary>The text of <c>atlas.sum</c> for the files (what <c>atlas migrate hash</c> writes).</summary>
    internal static string Render(IEnumerable<(string Name, byte[] Content)> files)
    {
        var entries = Compute(files);
        return "h1:" + Total(entries) + "\n" + string.Concat(entries.Select(e => $"{e.File} h1:{e.Hash}\n"));
    }

    [GeneratedRegex(@"^\d+")]
    private static partial Regex LeadingDigits();

    [GeneratedRegex(@"^--\s*atlas:(?<name>\w+)(?<arg>.*)$")]
    private static partial Regex AtlasDirective();

    // Atlas looks for the directive at the very start of the file.
    [GeneratedRegex(@"^[ -~]*atlas:sum +ignore(?=\n|$)")]
    private static partial Regex SumIgnore();
}
