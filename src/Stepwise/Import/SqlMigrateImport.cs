using System.Globalization;
using System.Text.RegularExpressions;
using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Import;

/// <summary>
/// Reads a sql-migrate (rubenv/sql-migrate) directory: every <c>.sql</c> file is a migration whose id is its file name,
/// with <c>-- +migrate Up</c> / <c>-- +migrate Down</c> annotations (<c>notransaction</c> after either runs that section
/// outside a transaction) and <c>StatementBegin</c>/<c>StatementEnd</c> brackets, read as goose's are (<see cref="AnnotatedFile"/>).
/// sql-migrate runs files by their leading number, then by name (a file without one after all that have one); the Stepwise
/// version keeps that order (<see cref="Versions"/>), and the header keeps the file name, which is what
/// <c>gorp_migrations</c> records.
/// </summary>
internal static partial class SqlMigrateImport
{
    public static ImportResult Read(string directory)
    {
        var problems = new List<MigrationProblem>();
        var files = new List<(string File, long? Number, string Digits, string Name)>();
        foreach (var file in SourceDirectory.Files(directory, ImportSource.SqlMigrate))
        {
            var fileName = Path.GetFileName(file);
            if (!fileName.EndsWith(".sql", StringComparison.Ordinal))
            {
                problems.Add(new MigrationProblem(Severity.Warning, "not-a-migration", file, 0, 0, "not converted: sql-migrate runs only .sql files", null));
                continue;
            }
            var match = FileName().Match(fileName);
            long? number = null;
            if (match.Groups["digits"].Success)
            {
                if (!long.TryParse(match.Groups["digits"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    problems.Add(new MigrationProblem(Severity.Error, "bad-version", file, 0, 0,
                        $"the leading number {match.Groups["digits"].Value} does not fit in a 64-bit integer (sql-migrate cannot order it either: it stops with a panic)",
                        "rename the file in a copy of the directory and import that"));
                    continue;
                }
                number = n;
            }
            files.Add((file, number, match.Groups["digits"].Value, match.Groups["name"].Value));
        }
        files.Sort((a, b) => RunsBefore(a, b));

        var converted = new List<ImportedMigration>();
        foreach (var (file, versionText, name) in Versions(files, problems))
        {
            var fileName = Path.GetFileName(file);
            // sql-migrate runs a file in a transaction unless it says notransaction: some files step out of it themselves.
            var text = MigrationText.WithoutTransactionControl(Importer.ReadText(file, problems), file, problems, wrapper: false);
            if (AnnotatedFile.Convert(text, file, Annotations, problems) is not { } content)
            {
                continue;
            }
            converted.Add(new ImportedMigration($"{versionText}_{Importer.SafeName(name)}.sql",
                ImportOrigin.Header(ImportSource.SqlMigrate, fileName, fileName) + "\n" + content, fileName, fileName));
        }
        Importer.ThrowIfErrors("nothing was imported", problems);
        if (converted.Count == 0)
        {
            throw new ImportRefusedException("nothing was imported", [new MigrationProblem(Severity.Error, "no-migrations", directory, 0, 0,
                "the directory holds no .sql file: there is no sql-migrate migration to import", "pass the directory sql-migrate reads (dbconfig.yml: dir)")]);
        }
        return new ImportResult(ImportSource.SqlMigrate, directory, converted, [.. problems.Where(p => p.Severity == Severity.Warning)]);
    }

    /// <summary>
    /// sql-migrate's order: by leading number when both names have one and the numbers differ; a name with a number before
    /// one without; otherwise by name (byte order).
    /// </summary>
    private static int RunsBefore((string File, long? Number, string, string) a, (string File, long? Number, string, string) b) =>
        a.Number is { } x && b.Number is { } y && x != y ? x.CompareTo(y)
        : a.Number is not null && b.Number is null ? -1
        : a.Number is null && b.Number is not null ? 1
        : string.CompareOrdinal(Path.GetFileName(a.File), Path.GetFileName(b.File));

    /// <summary>
    /// Stepwise versions for <paramref name="files"/> in sql-migrate's order: a file's leading number when it is above the
    /// version before it; otherwise the version before it plus one, with a warning saying why (a number another file has
    /// too, 0, a name without a number, or a number the files moved before it took). So the order is sql-migrate's, no two
    /// files share a version, and the same files always get the same versions.
    /// </summary>
    private static IEnumerable<(string File, string VersionText, string Name)> Versions(List<(string File, long? Number, string Digits, string Name)> files, List<MigrationProblem> problems)
    {
        var previous = 0L;
        for (var i = 0; i < files.Count; i++)
        {
            var (file, number, digits, name) = files[i];
            if (number is { } n && n > previous)
            {
                previous = n;
                yield return (file, digits, name);
                continue;
            }
            if (previous == long.MaxValue - 1)
            {
                problems.Add(new MigrationProblem(Severity.Error, "bad-version", file, 0, 0,
                    $"no Stepwise version is left for it after {Path.GetFileName(files[i - 1].File)} (versions end at {long.MaxValue - 1})",
                    "rename the files in a copy of the directory so their numbers leave room, and import that"));
                yield break;
            }
            var version = previous + 1;
            var before = i > 0 ? Path.GetFileName(files[i - 1].File) : null;
            var why = number switch
            {
                null => "its name has no leading number, so sql-migrate runs it after every file that has one, in name order",
                0 when i == 0 => "Stepwise versions start at 1",
                _ when files.Take(i).Any(f => f.Number == number) => $"sql-migrate runs it after {Path.GetFileName(files.Take(i).Last(f => f.Number == number).File)}, which has the number {number} too (same number: name order)",
                _ => $"the files before it moved up, and {previous} was taken by {before}",
            };
            problems.Add(new MigrationProblem(Severity.Warning, "version-shifted", file, 0, 0,
                $"became Stepwise version {version}: {why}; its header keeps its sql-migrate id (the file name), which baseline --from sql-migrate matches", null));
            previous = version;
            yield return (file, version.ToString(CultureInfo.InvariantCulture).PadLeft(digits.Length, '0'), name);
        }
    }

    /// <summary>
    /// sql-migrate's annotations: <c>-- +migrate </c> exactly (case-sensitive) at the start of a line, then a command and
    /// options; <c>notransaction</c> after Up or Down is that section's alone. sql-migrate skips a command or option it does
    /// not know; the import refuses it, as what it was meant to do cannot be known.
    /// </summary>
    private static readonly AnnotatedFile.Dialect Annotations = new(ImportSource.SqlMigrate, "-- +migrate", Annotation(),
        words => words.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) switch
        {
            ["Up"] => new(AnnotatedFile.Kind.Up),
            ["Up", "notransaction"] => new(AnnotatedFile.Kind.Up, NoTransaction: true),
            ["Down"] => new(AnnotatedFile.Kind.Down),
            ["Down", "notransaction"] => new(AnnotatedFile.Kind.Down, NoTransaction: true),
            ["StatementBegin"] => new(AnnotatedFile.Kind.StatementBegin),
            ["StatementEnd"] => new(AnnotatedFile.Kind.StatementEnd),
            _ => null,
        },
        "Up, Down (each optionally followed by notransaction), StatementBegin, StatementEnd, written with that case", SectionsRepeat: true, Lenient: true);

    // sql-migrate: ^(\d+).*$ gives the number; the rest of the name (less a separator) names the Stepwise file.
    [GeneratedRegex(@"^(?<digits>\d+)?[-_.]?(?<name>.*)\.sql$")]
    private static partial Regex FileName();

    // sqlparse: a line starting with "-- +migrate " is a command.
    [GeneratedRegex(@"^-- \+migrate (?<name>.*)$")]
    private static partial Regex Annotation();
}
