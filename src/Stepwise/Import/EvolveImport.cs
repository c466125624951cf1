using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Import;

/// <summary>
/// Reads an Evolve location (subdirectories included, as Evolve scans them). Evolve follows Flyway's layout, so the
/// conversion is Flyway's (<see cref="FlywayImport.Convert"/>); what differs is here: Evolve has only versioned
/// (<c>V1_3_1__desc.sql</c>) and repeatable (<c>R__desc.sql</c>) scripts, matches their prefix and <c>.sql</c> suffix
/// ignoring case, counts trailing zero parts of a version (<c>1</c> runs before <c>1.0</c>), turns a script's
/// transaction off with <c>evolve-tx-off</c> in its first line, and records an MD5 checksum.
/// </summary>
internal static partial class EvolveImport
{
    private static readonly FlywayImport.Dialect Dialect = new(ImportSource.Evolve, "Evolve", TrailingZerosCount: true,
        (_, text, _) => FirstLineHas(text, "evolve-tx-off"), "evolve-tx-off", Checksum);

    public static ImportResult Read(string directory)
    {
        var problems = new List<MigrationProblem>();
        var scripts = new List<FlywayImport.Script>();
        foreach (var file in SourceDirectory.Files(directory, ImportSource.Evolve, recursive: true))
        {
            var fileName = Path.GetFileName(file);
            var prefix = char.ToUpperInvariant(fileName[0]);
            if (prefix is not ('V' or 'R') || !fileName.EndsWith(".sql", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add(new MigrationProblem(Severity.Warning, "not-a-migration", file, 0, 0,
                    "not converted: Evolve runs only V<version>__<desc>.sql and R__<desc>.sql", null));
                continue;
            }
            // Evolve: the version is what lies between the prefix and the first "__", the description what follows.
            var stem = fileName[1..^".sql".Length];
            var separator = stem.IndexOf("__", StringComparison.Ordinal);
            var (version, description) = separator < 0 ? ("", "") : (stem[..separator], stem[(separator + 2)..]);
            if (separator < 0 || description.Replace('_', ' ').Trim().Length == 0)
            {
                problems.Add(new MigrationProblem(Severity.Error, "bad-name", file, 0, 0,
                    $"{fileName} starts with {fileName[0]} and ends with .sql, so Evolve takes it for a migration, but it has no {(separator < 0 ? "__ separator" : "description after __")} (Evolve refuses it too)",
                    prefix == 'V' ? "name it V<version>__<desc>.sql (or move it out of the directory)" : "name it R__<desc>.sql (or move it out of the directory)"));
                continue;
            }
            if (prefix == 'V' && !VersionText().IsMatch(version))
            {
                problems.Add(new MigrationProblem(Severity.Error, "bad-version", file, 0, 0,
                    $"'{version}' is not an Evolve version (numbers separated by _ or .; Evolve refuses it too)", "rename the file in a copy of the directory and import that"));
                continue;
            }
            if (prefix == 'R' && version.Length > 0)
            {
                problems.Add(new MigrationProblem(Severity.Warning, "repeatable-version", file, 0, 0,
                    $"'{version}' before __ is ignored, as Evolve ignores it: a repeatable migration has no version", null));
            }
            scripts.Add(new FlywayImport.Script(file, prefix, prefix == 'R' ? "" : version, description));
        }
        foreach (var script in scripts.Where(s => s.Prefix == 'R'))
        {
            if (FirstLineHas(Importer.ReadText(script.Path, problems), "evolve-repeat-always"))
            {
                problems.Add(new MigrationProblem(Severity.Warning, "repeat-always", script.Path, 1, 1,
                    "evolve-repeat-always is not kept: Stepwise runs a repeatable migration again only when it changes (Evolve: on every migrate)", null));
            }
        }
        return FlywayImport.Convert(directory, scripts, Dialect, problems);
    }

    /// <summary>
    /// Evolve's checksum of a script, as its <c>changelog.checksum</c> holds it: MD5 of the script's UTF-8 text with CRLF
    /// line endings read as LF, in uppercase hex (Evolve before 1.8 hashed the file's bytes; it still accepts that for
    /// versioned scripts, but compares repeatable ones with this one only).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351", Justification = "Evolve records MD5; it only tells one content from another here")]
    internal static string Checksum(string text) =>
        Convert.ToHexString(MD5.HashData(System.Text.Encoding.UTF8.GetBytes(text.Replace("\r\n", "\n", StringComparison.Ordinal))));

    /// <summary>Evolve's per-script options: a word anywhere in the script's first line, in any case.</summary>
    private static bool FirstLineHas(string text, string option)
    {
        var end = text.IndexOf('\n', StringComparison.Ordinal);
        return (end < 0 ? text : text[..end]).Contains(option, StringComparison.OrdinalIgnoreCase);
    }

    [GeneratedRegex(@"^\d+(?:[._]\d+)*$")]
    private static partial Regex VersionText();
}
