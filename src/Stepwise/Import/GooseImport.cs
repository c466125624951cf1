using System.Text.RegularExpressions;
using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Import;

/// <summary>
/// Reads a goose directory: <c>&lt;version&gt;_&lt;name&gt;.sql</c> files (a timestamp or a sequential number)
/// with <c>-- +goose Up</c> / <c>-- +goose Down</c> annotations, which become Stepwise's sections;
/// <c>-- +goose NO TRANSACTION</c> becomes <c>-- stepwise:no-transaction</c> in both sections, the
/// <c>StatementBegin</c>/<c>StatementEnd</c> brackets are dropped (Stepwise splits with PostgreSQL's parser),
/// and <c>${VAR}</c> placeholders under <c>ENVSUB ON</c> are reported. Go migrations (<c>.go</c>) cannot be
/// converted: they are listed by name and refuse the import unless <see cref="ImportOptions.SkipCodeMigrations"/>.
/// </summary>
internal static partial class GooseImport
{
    public static ImportResult Read(string directory, ImportOptions options)
    {
        var problems = new List<MigrationProblem>();
        var converted = new List<(long Version, ImportedMigration Migration)>();
        var goMigrations = new List<string>();
        foreach (var file in SourceDirectory.Files(directory, ImportSource.Goose))
        {
            var fileName = Path.GetFileName(file);
            var match = FileName().Match(fileName);
            if (fileName.EndsWith(".go", StringComparison.Ordinal))
            {
                if (match.Success && !fileName.EndsWith("_test.go", StringComparison.Ordinal))
                {
                    goMigrations.Add(file);
                }
                continue; // other Go files are the program that registers them
            }
            if (!match.Success || match.Groups["ext"].Value != "sql")
            {
                problems.Add(new MigrationProblem(Severity.Warning, "not-a-migration", file, 0, 0,
                    "not converted: goose runs only <version>_<name>.sql files (and Go migrations registered in code)", null));
                continue;
            }
            var versionText = match.Groups["version"].Value;
            if (!long.TryParse(versionText, out var version) || version <= 0)
            {
                problems.Add(new MigrationProblem(Severity.Error, "bad-version", file, 0, 0,
                    $"version '{versionText}' must be a positive integer below 9223372036854775808 (goose refuses it too)", "rename the file in a copy of the directory and import that"));
                continue;
            }
            // goose runs a file in a transaction unless it says NO TRANSACTION: some files step out of it themselves.
            var text = MigrationText.WithoutTransactionControl(Importer.ReadText(file, problems), file, problems, wrapper: false);
            if (AnnotatedFile.Convert(text, file, Annotations, problems) is not { } content)
            {
                continue;
            }
            converted.Add((version, new ImportedMigration($"{versionText}_{Importer.SafeName(match.Groups["name"].Value)}.sql",
                ImportOrigin.Header(ImportSource.Goose, fileName, versionText) + "\n" + content, fileName, versionText)));
        }
        foreach (var go in goMigrations)
        {
            problems.Add(options.SkipCodeMigrations
                ? new MigrationProblem(Severity.Warning, "go-migration-skipped", go, 0, 0,
                    "not converted: a Go migration runs Go code, which Stepwise cannot run; skipped (--skip-code): write its SQL as a Stepwise migration if the schema needs it", null)
                : new MigrationProblem(Severity.Error, "go-migration", go, 0, 0,
                    "a Go migration runs Go code, which Stepwise cannot convert",
                    "write what it does as a Stepwise migration after the import, or import without it: stepwise import goose DIR --skip-code"));
        }
        Importer.CheckDuplicateVersions(converted, directory, problems, "give one of them a new version (goose refuses it too)");
        Importer.ThrowIfErrors(goMigrations.Count > 0 && !options.SkipCodeMigrations
            ? $"nothing was imported: {goMigrations.Count} Go migration(s) cannot be converted (--skip-code imports the SQL ones and lists them)" : "nothing was imported", problems);
        return new ImportResult(ImportSource.Goose, directory, [.. converted.OrderBy(c => c.Version).Select(c => c.Migration)],
            [.. problems.Where(p => p.Severity == Severity.Warning)]);
    }

    /// <summary>goose's annotations: case-insensitive, <c>NO TRANSACTION</c> for the whole file, an unknown one refused.</summary>
    private static readonly AnnotatedFile.Dialect Annotations = new(ImportSource.Goose, "-- +goose", Annotation(),
        words => Regex.Replace(words.ToLowerInvariant(), @"\s+", " ") switch
        {
            "up" => new(AnnotatedFile.Kind.Up),
            "down" => new(AnnotatedFile.Kind.Down),
            "statementbegin" => new(AnnotatedFile.Kind.StatementBegin),
            "statementend" => new(AnnotatedFile.Kind.StatementEnd),
            "no transaction" => new(AnnotatedFile.Kind.NoTransaction),
            "envsub on" => new(AnnotatedFile.Kind.EnvsubOn),
            "envsub off" => new(AnnotatedFile.Kind.EnvsubOff),
            _ => null,
        },
        "Up, Down, StatementBegin, StatementEnd, NO TRANSACTION, ENVSUB ON/OFF", SectionsRepeat: false, Lenient: false);

    [GeneratedRegex(@"^(?<version>\d+)_(?<name>.*)\.(?<ext>sql|go)$")]
    private static partial Regex FileName();

    // goose: ^--\s\+goose\s.*$, case-insensitive, at the start of a line.
    [GeneratedRegex(@"^--\s\+goose\s(?<name>.*)$", RegexOptions.IgnoreCase)]
    private static partial Regex Annotation();
}
