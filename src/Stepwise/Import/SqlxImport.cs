using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Import;

/// <summary>
/// Reads a sqlx (Rust) migrations directory: <c>&lt;version&gt;_&lt;description&gt;.sql</c> files (sqlx's simple
/// migrations, up only) or <c>.up.sql</c> and <c>.down.sql</c> pairs (its reversible ones), in version order. A file whose
/// first bytes are <c>-- no-transaction</c> runs outside a transaction, in sqlx and in the converted file. The header keeps
/// sqlx's version and its checksum of the up file (SHA-384 of the file as it is), which <c>_sqlx_migrations</c> records:
/// <c>baseline --from sqlx</c> refuses a migration whose file changed after sqlx ran it, as sqlx itself does.
/// </summary>
internal static partial class SqlxImport
{
    public static ImportResult Read(string directory)
    {
        var problems = new List<MigrationProblem>();
        var versions = new SortedDictionary<long, (string VersionText, string Name, string? Up, string? Down)>();
        foreach (var file in SourceDirectory.Files(directory, ImportSource.Sqlx))
        {
            var fileName = Path.GetFileName(file);
            var match = FileName().Match(fileName);
            if (!match.Success)
            {
                // sqlx ignores these without a word.
                problems.Add(new MigrationProblem(Severity.Warning, "not-a-migration", file, 0, 0,
                    "not converted: sqlx runs only files named <version>_<description>.sql (or .up.sql and .down.sql)", null));
                continue;
            }
            var versionText = match.Groups["version"].Value;
            if (!long.TryParse(versionText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version) || version <= 0)
            {
                problems.Add(new MigrationProblem(Severity.Error, "bad-version", file, 0, 0,
                    $"'{versionText}' before the first _ is not a version: sqlx needs a whole number above 0 below 9223372036854775808 there (it refuses the directory too)",
                    "rename the file in a copy of the directory as <version>_<description>.sql and import that"));
                continue;
            }
            var direction = match.Groups["direction"].Value;
            versions.TryGetValue(version, out var entry);
            var taken = direction == "down" ? entry.Down : entry.Up;
            if (taken is not null)
            {
                problems.Add(new MigrationProblem(Severity.Error, "duplicate-version", file, 0, 0,
                    $"version {version} has two {(direction == "down" ? "down" : "up")} files: {taken} and {fileName}",
                    "give one of them a new version in a copy of the directory and import that"));
                continue;
            }
            versions[version] = direction == "down"
                ? (entry.VersionText ?? versionText, entry.Name ?? match.Groups["name"].Value, entry.Up, fileName)
                : (versionText, match.Groups["name"].Value, fileName, entry.Down);
        }

        var converted = new List<ImportedMigration>();
        foreach (var (_, (versionText, name, up, down)) in versions)
        {
            if (up is null)
            {
                problems.Add(new MigrationProblem(Severity.Warning, "down-without-up", Path.Combine(directory, down!), 0, 0,
                    "not converted: a down file without its up file (sqlx never runs it going up)", null));
                continue;
            }
            var (upText, upNoTransaction, checksum) = ReadFile(Path.Combine(directory, up), problems);
            var downPart = down is null ? ((string? Text, bool NoTransaction, string? Checksum))default : ReadFile(Path.Combine(directory, down), problems);
            if (down is null && up.EndsWith(".up.sql", StringComparison.Ordinal))
            {
                problems.Add(new MigrationProblem(Severity.Warning, "no-down", Path.Combine(directory, up), 0, 0, "no down file: the migration has no down section", null));
            }
            converted.Add(new ImportedMigration($"{versionText}_{Importer.SafeName(name)}.sql",
                MigrationText.Versioned(ImportOrigin.Header(ImportSource.Sqlx, up, versionText, checksum), upText, downPart.Text, upNoTransaction, downPart.NoTransaction),
                down is null ? up : $"{up} + {down}", versionText));
        }
        var simple = converted.Count(m => !m.Source.Contains(".up.sql", StringComparison.Ordinal));
        if (simple > 0)
        {
            problems.Add(new MigrationProblem(Severity.Warning, "no-down", directory, 0, 0,
                $"no down sections: {simple} of sqlx's simple migrations (<version>_<description>.sql) go only forward", null));
        }
        Importer.ThrowIfErrors("nothing was imported", problems);
        return new ImportResult(ImportSource.Sqlx, directory, converted, [.. problems.Where(p => p.Severity == Severity.Warning)]);
    }

    /// <summary>
    /// A file's text (its own <c>BEGIN ... COMMIT</c> taken out, as sqlx runs it in a transaction of its own), whether it
    /// opts out of the transaction, and sqlx's checksum: SHA-384 of the file as it is, byte order mark and line ends included.
    /// </summary>
    private static (string Text, bool NoTransaction, string Checksum) ReadFile(string path, List<MigrationProblem> problems)
    {
        var bytes = File.ReadAllBytes(path);
        // sqlx looks at the file's first bytes, so a byte order mark before the comment hides it from sqlx too.
        var noTransaction = bytes.AsSpan().StartsWith("-- no-transaction"u8);
        var text = MigrationText.WithoutTransactionControl(Importer.ReadText(path, problems), path, problems);
        return (text, noTransaction, Convert.ToHexStringLower(SHA384.HashData(bytes)));
    }

    // sqlx splits the name at its first _ and takes files ending in .sql; .up.sql and .down.sql make a reversible pair.
    [GeneratedRegex(@"^(?<version>[^_]*)_(?<name>.*?)(?:\.(?<direction>up|down))?\.sql$")]
    private static partial Regex FileName();
}
