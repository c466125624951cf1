using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Import;

/// <summary>The files of a source directory, checked to exist; hidden files and folders are skipped.</summary>
internal static class SourceDirectory
{
    public static IReadOnlyList<string> Files(string directory, ImportSource from, bool recursive = false)
    {
        if (!Directory.Exists(directory))
        {
            throw new ImportRefusedException("nothing was imported", [new MigrationProblem(Severity.Error, "no-directory", directory, 0, 0,
                $"the {Importer.Name(from)} migration directory does not exist", "pass the directory that holds the migration files")]);
        }
        // Hidden files, and with recursive everything under a hidden folder (.git of a project root), are not the tool's.
        return [.. Directory.EnumerateFiles(directory, "*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Where(f => !Path.GetRelativePath(directory, f).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.')))
            .Order(StringComparer.Ordinal)];
    }
}
