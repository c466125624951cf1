using System.Globalization;
using System.Text.RegularExpressions;
using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Import;

/// <summary>
/// Reads a Diesel (Rust) migrations directory: a folder per migration, <c>2024-01-01-120000_create_users/</c> holding
/// <c>up.sql</c>, usually <c>down.sql</c>, and optionally <c>metadata.toml</c> (<c>run_in_transaction = false</c>). The
/// version is the folder name before its first <c>_</c> without the dashes (<c>20240101120000</c>), which is what
/// <c>__diesel_schema_migrations</c> records; Diesel's own <c>00000000000000_diesel_initial_setup</c> is version 0, which
/// Stepwise moves (<see cref="Importer.ZeroVersionMap"/>).
/// </summary>
internal static partial class DieselImport
{
    public static ImportResult Read(string directory)
    {
        var problems = new List<MigrationProblem>();
        foreach (var file in SourceDirectory.Files(directory, ImportSource.Diesel))
        {
            problems.Add(new MigrationProblem(Severity.Warning, "not-a-migration", file, 0, 0,
                "not converted: Diesel runs only the up.sql of each migration folder", null));
        }
        var folders = new List<(long Version, string VersionText, string Folder, string Name)>();
        foreach (var folder in Directory.EnumerateDirectories(directory).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal))
        {
            var folderName = Path.GetFileName(folder);
            if (!File.Exists(Path.Combine(folder, "up.sql")))
            {
                problems.Add(new MigrationProblem(Severity.Error, "no-up-file", folder, 0, 0,
                    "the folder has no up.sql: Diesel refuses the directory too (unknown migration format)",
                    "move the folder out of a copy of the directory, or give it its up.sql, and import that"));
                continue;
            }
            // Diesel: the part before the first _, dashes removed, is the version.
            var underscore = folderName.IndexOf('_', StringComparison.Ordinal);
            var versionText = (underscore < 0 ? folderName : folderName[..underscore]).Replace("-", "", StringComparison.Ordinal);
            if (!VersionDigits().IsMatch(versionText) || !long.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                problems.Add(new MigrationProblem(Severity.Error, "bad-version", folder, 0, 0,
                    $"'{folderName}' does not start with a version (digits and dashes, then _): Stepwise needs a number below 9223372036854775808 to order it",
                    "rename the folder in a copy of the directory as <YYYY-MM-DD-HHMMSS>_<name> and import that"));
                continue;
            }
            foreach (var other in Directory.EnumerateFileSystemEntries(folder)
                .Where(f => Path.GetFileName(f) is not ("up.sql" or "down.sql" or "metadata.toml") && !Path.GetFileName(f).StartsWith('.')))
            {
                problems.Add(new MigrationProblem(Severity.Warning, "not-a-migration", other, 0, 0, "not converted: Diesel reads only up.sql, down.sql and metadata.toml", null));
            }
            folders.Add((version, versionText, folderName, underscore < 0 ? folderName : folderName[(underscore + 1)..]));
        }

        var zero = folders.FirstOrDefault(f => f.Version == 0).Folder;
        var stepwiseVersionOf = Importer.ZeroVersionMap([.. folders.Select(f => f.Version)], ImportSource.Diesel, Path.Combine(directory, zero ?? ""), problems);
        var converted = new List<(long Version, ImportedMigration Migration)>();
        // Diesel runs them in the order of their version text; Stepwise in that of the number.
        foreach (var (version, versionText, folderName, name) in folders.OrderBy(f => f.VersionText, StringComparer.Ordinal))
        {
            var folder = Path.Combine(directory, folderName);
            var up = Path.Combine(folder, "up.sql");
            var down = Path.Combine(folder, "down.sql");
            var upText = MigrationText.WithoutTransactionControl(Importer.ReadText(up, problems), up, problems);
            if (upText.Trim().Length == 0)
            {
                problems.Add(new MigrationProblem(Severity.Error, "empty-migration", up, 0, 0, "up.sql is empty (Diesel refuses to run it too)",
                    "write the migration's SQL, or move the folder out of a copy of the directory, and import that"));
                continue;
            }
            var downText = File.Exists(down) ? MigrationText.WithoutTransactionControl(Importer.ReadText(down, problems), down, problems) : null;
            if (downText is null)
            {
                problems.Add(new MigrationProblem(Severity.Warning, "no-down", up, 0, 0, "no down.sql: the migration has no down section", null));
            }
            var noTransaction = RunsOutsideTransaction(Path.Combine(folder, "metadata.toml"), problems);
            var source = $"{folderName}/up.sql";
            converted.Add((version, new ImportedMigration($"{stepwiseVersionOf(version, versionText)}_{Importer.SafeName(name)}.sql",
                MigrationText.Versioned(ImportOrigin.Header(ImportSource.Diesel, source, versionText), upText, downText, noTransaction, noTransaction),
                downText is null ? source : $"{source} + {folderName}/down.sql", versionText)));
        }
        Importer.CheckDuplicateVersions(converted, directory, problems, "give one of them a new timestamp in a copy of the directory and import that (Diesel records one row per version)");
        Importer.CheckNameOrder(converted, ImportSource.Diesel, directory, problems,
            "give the versions one length (Diesel compares them as text, Stepwise as numbers) in a copy of the directory and import that");
        Importer.ThrowIfErrors("nothing was imported", problems);
        return new ImportResult(ImportSource.Diesel, directory, [.. converted.OrderBy(c => c.Version).Select(c => c.Migration)], [.. problems.Where(p => p.Severity == Severity.Warning)]);
    }

    /// <summary>
    /// True when the folder's <c>metadata.toml</c> says <c>run_in_transaction = false</c>. Anything else in it (Diesel
    /// keeps other keys for its own use) is left; a <c>run_in_transaction</c> that is not true or false is refused, as
    /// Diesel falls back to running in a transaction without a word.
    /// </summary>
    private static bool RunsOutsideTransaction(string metadata, List<MigrationProblem> problems)
    {
        if (!File.Exists(metadata))
        {
            return false;
        }
        var lines = Importer.ReadText(metadata, problems).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var match = RunInTransaction().Match(lines[i]);
            if (!match.Success)
            {
                continue;
            }
            return match.Groups["value"].Value switch
            {
                "false" => true,
                "true" => false,
                var other => Refuse(other, i + 1),
            };
        }
        return false;

        bool Refuse(string value, int line)
        {
            problems.Add(new MigrationProblem(Severity.Error, "bad-metadata", metadata, line, 1,
                $"run_in_transaction = {value} is not true or false (Diesel would ignore the whole file and run the migration in a transaction)",
                "write run_in_transaction = false (or true) in a copy of the directory and import that"));
            return false;
        }
    }

    [GeneratedRegex(@"^\d+$")]
    private static partial Regex VersionDigits();

    [GeneratedRegex(@"^\s*run_in_transaction\s*=\s*(?<value>[^#\s]*)\s*(#.*)?$")]
    private static partial Regex RunInTransaction();
}
