using System.Text.RegularExpressions;
using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Import;

/// <summary>
/// Reads a Prisma migrations directory: a folder per migration, <c>&lt;timestamp&gt;_&lt;name&gt;/migration.sql</c>,
/// beside <c>migration_lock.toml</c> (whose provider must be PostgreSQL). Each becomes
/// <c>&lt;timestamp&gt;_&lt;name&gt;.sql</c> with the file as its up section (Prisma has no down migrations); the
/// folder name is the id <c>_prisma_migrations</c> records. A <c>BEGIN; ... COMMIT;</c> around the whole file is
/// removed (Stepwise runs each file in one transaction).
/// </summary>
internal static partial class PrismaImport
{
    public const string LockFileName = "migration_lock.toml";

    public static ImportResult Read(string directory, ImportOptions options)
    {
        var problems = new List<MigrationProblem>();
        foreach (var file in SourceDirectory.Files(directory, ImportSource.Prisma))
        {
            if (Path.GetFileName(file) == LockFileName)
            {
                var provider = Provider().Match(File.ReadAllText(file));
                if (provider.Success && provider.Groups["provider"].Value is not ("postgresql" or "postgres" or "cockroachdb"))
                {
                    problems.Add(new MigrationProblem(Severity.Error, "prisma-provider", file, 0, 0,
                        $"the migrations were written for provider \"{provider.Groups["provider"].Value}\", not PostgreSQL", "import a PostgreSQL project's migrations"));
                }
                continue;
            }
            problems.Add(new MigrationProblem(Severity.Warning, "not-a-migration", file, 0, 0,
                "not converted: Prisma runs only <timestamp>_<name>/migration.sql", null));
        }
        var converted = new List<(long Version, ImportedMigration Migration)>();
        foreach (var folder in Directory.EnumerateDirectories(directory).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal))
        {
            var folderName = Path.GetFileName(folder);
            var script = Path.Combine(folder, "migration.sql");
            var match = FolderName().Match(folderName);
            if (!File.Exists(script))
            {
                // Files but no migration.sql: a migration the project's own runner runs (formbricks keeps its data
                // migrations as <timestamp>_<name>/migration.ts beside Prisma's), which the history needs as much as the SQL ones.
                var files = Directory.EnumerateFiles(folder).Select(Path.GetFileName).Where(f => !f!.StartsWith('.')).Order(StringComparer.Ordinal).ToList();
                problems.Add(files.Count == 0
                    ? new MigrationProblem(Severity.Warning, "not-a-migration", folder, 0, 0, "not converted: the folder has no migration.sql", null)
                    : options.SkipCodeMigrations
                        ? new MigrationProblem(Severity.Warning, "code-migration-skipped", folder, 0, 0,
                            $"not converted: the folder holds {string.Join(", ", files)} but no migration.sql, a migration the project's own code runs; skipped (--skip-code): write it as a Stepwise migration if the schema needs it", null)
                        : new MigrationProblem(Severity.Error, "code-migration", folder, 0, 0,
                            $"the folder holds {string.Join(", ", files)} but no migration.sql: a migration the project's own code runs, which Stepwise cannot convert",
                            "write what it does as a Stepwise migration after the import, or import without it: stepwise import prisma DIR --skip-code"));
                continue;
            }
            if (!match.Success || !long.TryParse(match.Groups["version"].Value, out var version) || version <= 0)
            {
                problems.Add(new MigrationProblem(Severity.Error, "bad-version", folder, 0, 0,
                    $"'{folderName}' does not start with a version (digits, then _): Stepwise needs a number to order it",
                    "rename the folder in a copy of the directory as <timestamp>_<name> and import that"));
                continue;
            }
            foreach (var other in Directory.EnumerateFileSystemEntries(folder).Where(f => Path.GetFileName(f) != "migration.sql" && !Path.GetFileName(f).StartsWith('.')))
            {
                problems.Add(new MigrationProblem(Severity.Warning, "not-a-migration", other, 0, 0, "not converted: Prisma runs only the folder's migration.sql", null));
            }
            var text = MigrationText.WithoutTransactionControl(Importer.ReadText(script, problems), script, problems);
            var source = $"{folderName}/migration.sql";
            converted.Add((version, new ImportedMigration($"{match.Groups["version"].Value}_{Importer.SafeName(match.Groups["name"].Value)}.sql",
                MigrationText.Versioned(ImportOrigin.Header(ImportSource.Prisma, source, folderName), text, null, noTransaction: false), source, folderName)));
        }
        Importer.CheckDuplicateVersions(converted, directory, problems, "give one of them a new timestamp in a copy of the directory and import that");
        if (converted.Count > 0)
        {
            problems.Add(new MigrationProblem(Severity.Warning, "no-down", directory, 0, 0, $"no down sections: Prisma migrations go only forward ({converted.Count} migration(s))", null));
        }
        var code = problems.Count(p => p.Code == "code-migration");
        Importer.ThrowIfErrors(code > 0
            ? $"nothing was imported: {code} migration(s) run the project's own code and cannot be converted (--skip-code imports the SQL ones and lists them)" : "nothing was imported", problems);
        return new ImportResult(ImportSource.Prisma, directory, [.. converted.OrderBy(c => c.Version).Select(c => c.Migration)],
            [.. problems.Where(p => p.Severity == Severity.Warning)]);
    }

    [GeneratedRegex(@"^(?<version>\d+)_(?<name>.+)$")]
    private static partial Regex FolderName();

    [GeneratedRegex(@"(?m)^\s*provider\s*=\s*""(?<provider>[^""]*)""")]
    private static partial Regex Provider();
}
