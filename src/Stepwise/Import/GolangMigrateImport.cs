using System.Text.RegularExpressions;
using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Import;

/// <summary>
/// Reads a golang-migrate directory: <c>&lt;version&gt;_&lt;title&gt;.up.sql</c> and <c>.down.sql</c> pairs, which
/// become one file with an up and a down section. golang-migrate sends each file to PostgreSQL as one
/// multi-statement string (one implicit transaction); Stepwise runs each file in one transaction too, so a
/// <c>BEGIN; ... COMMIT;</c> around the whole file is removed. The version is kept as written.
/// </summary>
internal static partial class GolangMigrateImport
{
    public static ImportResult Read(string directory)
    {
        var problems = new List<MigrationProblem>();
        var pairs = new SortedDictionary<long, (string VersionText, string Name, string? Up, string? Down)>();
        foreach (var file in SourceDirectory.Files(directory, ImportSource.GolangMigrate))
        {
            var fileName = Path.GetFileName(file);
            var match = FileName().Match(fileName);
            if (!match.Success)
            {
                problems.Add(new MigrationProblem(Severity.Warning, "not-a-migration", file, 0, 0,
                    "not converted: golang-migrate runs only files named <version>_<title>.up.sql and .down.sql", null));
                continue;
            }
            var versionText = match.Groups["version"].Value;
            if (!long.TryParse(versionText, out var version) || version < 0 || version == long.MaxValue)
            {
                problems.Add(new MigrationProblem(Severity.Error, "bad-version", file, 0, 0,
                    $"version '{versionText}' must be a positive integer below 9223372036854775808 for Stepwise", "rename the file in a copy of the directory and import that"));
                continue;
            }
            pairs.TryGetValue(version, out var pair);
            var up = match.Groups["direction"].Value == "up";
            var other = up ? pair.Up : pair.Down;
            if (other is not null || pair.VersionText is { } v && v != versionText)
            {
                problems.Add(new MigrationProblem(Severity.Error, "duplicate-version", file, 0, 0,
                    $"version {version} has two {(up ? "up" : "down")} files: {other ?? pair.Up ?? pair.Down} and {fileName} (golang-migrate refuses it too)", "remove one of them in a copy of the directory and import that"));
                continue;
            }
            pairs[version] = up ? (versionText, match.Groups["name"].Value, fileName, pair.Down) : (versionText, pair.Name ?? match.Groups["name"].Value, pair.Up, fileName);
        }

        // golang-migrate allows version 0; Stepwise versions start at 1, so then it moves (the header keeps golang-migrate's,
        // which is what baseline --from golang-migrate matches).
        pairs.TryGetValue(0, out var zero);
        var stepwiseVersionOf = Importer.ZeroVersionMap(pairs.Keys, ImportSource.GolangMigrate, Path.Combine(directory, zero.Up ?? zero.Down ?? ""), problems);
        var converted = new List<ImportedMigration>();
        foreach (var (version, (versionText, name, up, down)) in pairs)
        {
            if (up is null)
            {
                problems.Add(new MigrationProblem(Severity.Warning, "down-without-up", Path.Combine(directory, down!), 0, 0,
                    "not converted: a down file without its up file (golang-migrate never runs it going up)", null));
                continue;
            }
            var upText = MigrationText.WithoutTransactionControl(Importer.ReadText(Path.Combine(directory, up), problems), Path.Combine(directory, up), problems);
            var downText = down is null ? null : MigrationText.WithoutTransactionControl(Importer.ReadText(Path.Combine(directory, down), problems), Path.Combine(directory, down), problems);
            if (down is null)
            {
                problems.Add(new MigrationProblem(Severity.Warning, "no-down", Path.Combine(directory, up), 0, 0, "no down file: the migration has no down section", null));
            }
            var stepwiseVersion = stepwiseVersionOf(version, versionText);
            converted.Add(new ImportedMigration($"{stepwiseVersion}_{Importer.SafeName(name)}.sql",
                MigrationText.Versioned(ImportOrigin.Header(ImportSource.GolangMigrate, up, versionText), upText, downText, noTransaction: false),
                down is null ? up : $"{up} + {down}", versionText));
        }
        Importer.ThrowIfErrors("nothing was imported", problems);
        return new ImportResult(ImportSource.GolangMigrate, directory, converted, [.. problems.Where(p => p.Severity == Severity.Warning)]);
    }

    // golang-migrate: ^([0-9]+)_(.*)\.(down|up)\.(.*)$, here with the sql extension.
    [GeneratedRegex(@"^(?<version>\d+)_(?<name>.*)\.(?<direction>up|down)\.sql$")]
    private static partial Regex FileName();
}
