using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Import;

/// <summary>
/// Writes an <see cref="ImportResult"/> into a Stepwise migration directory, all or nothing: the files
/// and <c>stepwise.sum</c> are written to a new directory beside the target, loaded and checked there
/// with <see cref="MigrationDirectory"/> (names, versions, syntax, sections), and only then moved into
/// place. Existing files are never replaced unless <c>overwrite</c> is set; the source is never touched.
/// </summary>
public static class ImportWriter
{
    /// <summary>Writes the files; returns the full paths written (the sum file last).</summary>
    /// <exception cref="ImportRefusedException">Nothing was written: a file exists, the target's sum is stale, or the result does not load cleanly.</exception>
    public static IReadOnlyList<string> Write(ImportResult result, string target, bool overwrite = false)
    {
        target = Path.GetFullPath(target);
        var source = Path.GetFullPath(result.SourcePath);
        var sourceDirectory = File.Exists(source) ? Path.GetDirectoryName(source)! : source;
        if (string.Equals(Path.TrimEndingDirectorySeparator(sourceDirectory), Path.TrimEndingDirectorySeparator(target), StringComparison.Ordinal) && result.From != ImportSource.Ef)
        {
            Refuse(target, "import-into-source", $"the target is the {Importer.Name(result.From)} directory itself; an import never edits its source",
                "pass another directory with --out (or --dir)");
        }
        if (result.Converted.Count == 0)
        {
            Refuse(result.SourcePath, "nothing-to-import", "no migration could be converted", "check the warnings above, and that the path is the tool's migration directory");
        }

        var clashes = result.Converted.GroupBy(m => m.FileName, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).ToList();
        if (clashes.Count > 0)
        {
            throw new ImportRefusedException("nothing was imported: two migrations would get the same file name",
                [.. clashes.Select(g => new MigrationProblem(Severity.Error, "duplicate-name", Path.Combine(target, g.Key), 0, 0,
                    $"{string.Join(" and ", g.Select(m => m.Source))} would both become {g.Key}", "rename one of them in a copy of the source and import that"))]);
        }

        var exists = Directory.Exists(target);
        if (exists)
        {
            // An existing stepwise.sum is rewritten to cover the whole directory (once it is known to be up to date).
            var collisions = result.Converted.Select(m => m.FileName).Where(f => File.Exists(Path.Combine(target, f))).ToList();
            if (!overwrite && collisions.Count > 0)
            {
                throw new ImportRefusedException("nothing was imported: files exist",
                    [.. collisions.Select(f => new MigrationProblem(Severity.Error, "file-exists", Path.Combine(target, f), 0, 0,
                        "the file exists and would be replaced", "import into an empty directory with --out, or pass --force to replace it"))]);
            }
            var before = MigrationDirectory.Load(target, new MigrationDirectoryOptions { Parse = false });
            var stale = before.Problems.Where(p => p.Severity == Severity.Error && p.Code.StartsWith("sum-", StringComparison.Ordinal)).ToList();
            if (stale.Count > 0) // --force replaces files, never blesses a sum that no longer matches
            {
                throw new ImportRefusedException($"nothing was imported: {target} has a stepwise.sum that does not match it (review the change and run stepwise hash first)", stale);
            }
        }

        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.import-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            if (exists)
            {
                foreach (var file in Directory.EnumerateFiles(target).Where(f => !f.EndsWith(SumFile.FileName, StringComparison.Ordinal)))
                {
                    File.Copy(file, Path.Combine(staging, Path.GetFileName(file)));
                }
            }
            foreach (var migration in result.Converted)
            {
                File.WriteAllText(Path.Combine(staging, migration.FileName), migration.Content);
            }
            var staged = MigrationDirectory.Load(staging);
            File.WriteAllText(Path.Combine(staging, SumFile.FileName), staged.ComputedSum.Render());
            var errors = staged.Problems.Where(p => p.Severity == Severity.Error && p.Code != "no-sum").ToList();
            if (errors.Count > 0)
            {
                var sourceLines = new Dictionary<string, string[]>(StringComparer.Ordinal); // each source file read once, however many problems it has
                throw new ImportRefusedException("nothing was imported: the converted files do not load cleanly",
                    [.. errors.Select(p => InSource(p with { File = p.File.Replace(staging, target, StringComparison.Ordinal) }, result, sourceDirectory, sourceLines))]);
            }

            var written = result.Converted.Select(m => Path.Combine(target, m.FileName)).Append(Path.Combine(target, SumFile.FileName)).ToList();
            if (!exists)
            {
                Directory.Move(staging, target);
                return written;
            }
            foreach (var migration in result.Converted)
            {
                File.Move(Path.Combine(staging, migration.FileName), Path.Combine(target, migration.FileName), overwrite);
            }
            File.Move(Path.Combine(staging, SumFile.FileName), Path.Combine(target, SumFile.FileName), overwrite: true);
            return written;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>
    /// A problem of a converted file, placed in the source file it came from: that file exists, while the converted one
    /// was never written. The converted line is found as it is in the sources (an import copies the statements' lines
    /// unchanged and adds its own around them); when it is found in none, or in more than one place, the problem keeps
    /// the converted file's place and names its sources.
    /// </summary>
    private static MigrationProblem InSource(MigrationProblem problem, ImportResult result, string sourceDirectory, Dictionary<string, string[]> sourceLines)
    {
        var migration = result.Converted.FirstOrDefault(m => string.Equals(m.FileName, Path.GetFileName(problem.File), StringComparison.Ordinal));
        if (migration is null)
        {
            return problem;
        }
        var lines = migration.Content.Split('\n');
        var text = problem.Line >= 1 && problem.Line <= lines.Length ? lines[problem.Line - 1].TrimEnd('\r') : null;
        var hint = text is not null && text.Contains("{{", StringComparison.Ordinal)
            ? MigrationText.TemplateAction + " (with a tool of its own, e.g. pop/fizz); import the rendered SQL"
            : problem.Hint;
        var found = text is null || text.Trim().Length == 0
            ? []
            : migration.Source.Split(" + ")
                .Select(name => Path.Combine(sourceDirectory, name))
                .Where(File.Exists)
                .SelectMany(file => (sourceLines.TryGetValue(file, out var read) ? read : sourceLines[file] = File.ReadAllLines(file)).Select((line, i) => (File: file, Line: i + 1, Text: line)))
                .Where(l => l.Text == text)
                .Take(2)
                .ToList();
        return found.Count == 1
            ? problem with { File = found[0].File, Line = found[0].Line, Hint = hint }
            : problem with { Hint = (hint is null ? "" : hint + "; ") + $"the place is in the file the import would write, made from {migration.Source}" };
    }

    private static void Refuse(string file, string code, string message, string hint) =>
        throw new ImportRefusedException("nothing was imported", [new MigrationProblem(Severity.Error, code, file, 0, 0, message, hint)]);
}
