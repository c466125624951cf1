using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Import;

/// <summary>The files of a source directory, checked to exist; hidden files are skipped.</summary>
internal static class SourceDirectory
{
    public static IReadOnlyList<string> Files(string directory, ImportSource from, bool recursive = false)
    {
        if (!Directory.Exists(directory))
        {
            throw new ImportRefusedException("nothing was imported", [new MigrationProblem(Severity.Error, "no-directory", directory, 0, 0,
                $"the {Importer.Name(from)} migration directory does not exist", "pass the directory that holds the migration files")]);
        }
        return [.. Directory.EnumerateFiles(directory, "*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Order(StringComparer.Ordinal)];
    }
}
