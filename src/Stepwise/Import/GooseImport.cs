using System.Text;
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
            if (Convert(text, file, problems) is not { } content)
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

    /// <summary>The file with goose's annotations replaced by Stepwise's; null (and an error) when it cannot be.</summary>
    private static string? Convert(string text, string file, List<MigrationProblem> problems)
    {
        var sections = new List<(string Kind, int Start)>();
        var removed = new List<(int Start, int End, string With)>();
        var noTransaction = false;
        var envsub = false;
        var envsubRanges = new List<(int Start, int End)>();
        var envsubFrom = 0;
        foreach (var (start, end, line, column) in MigrationText.LineComments(text))
        {
            var match = Annotation().Match(text[start..end]);
            if (!match.Success || column != 1)
            {
                continue;
            }
            var annotation = Regex.Replace(match.Groups["name"].Value.Trim().ToLowerInvariant(), @"\s+", " ");
            var lineEnd = end < text.Length && text[end] == '\n' ? end + 1 : end;
            switch (annotation)
            {
                case "up" or "down":
                    if (annotation == "up" && sections.Any(s => s.Kind == "up") || annotation == "down" && sections.All(s => s.Kind != "up"))
                    {
                        problems.Add(new MigrationProblem(Severity.Error, "goose-annotation", file, line, column,
                            annotation == "up" ? "a second -- +goose Up (goose refuses it too)" : "-- +goose Down before -- +goose Up (goose refuses it too)",
                            "fix the file so it has one Up annotation, and Down after it, then import again"));
                        return null;
                    }
                    sections.Add((annotation, start));
                    removed.Add((start, lineEnd, ""));
                    break;
                case "statementbegin":
                    removed.Add((start, lineEnd, ""));
                    break;
                case "statementend":
                    // goose ends the statement here, semicolon or not: keep it ended for PostgreSQL's parser.
                    removed.Add((start, lineEnd, text[..start].TrimEnd().EndsWith(';') ? "" : ";\n"));
                    break;
                case "no transaction":
                    noTransaction = true;
                    removed.Add((start, lineEnd, ""));
                    break;
                case "envsub on":
                    envsub = true;
                    envsubFrom = end;
                    removed.Add((start, lineEnd, ""));
                    break;
                case "envsub off":
                    if (envsub)
                    {
                        envsubRanges.Add((envsubFrom, start));
                    }
                    envsub = false;
                    removed.Add((start, lineEnd, ""));
                    break;
                default:
                    problems.Add(new MigrationProblem(Severity.Error, "goose-annotation", file, line, column,
                        $"unknown goose annotation '-- +goose {match.Groups["name"].Value.Trim()}' (goose refuses it too)",
                        "known: Up, Down, StatementBegin, StatementEnd, NO TRANSACTION, ENVSUB ON/OFF; fix it in the source, then import again"));
                    return null;
            }
        }
        if (envsub)
        {
            envsubRanges.Add((envsubFrom, text.Length));
        }
        if (sections.Count == 0 || sections[0].Kind != "up")
        {
            problems.Add(Stepwise.Migrations.ForeignLayout.SqlMigrateUp().IsMatch(text)
                ? new MigrationProblem(Severity.Error, "no-up-marker", file, 1, 1,
                    "the file has sql-migrate's -- +migrate Up, not goose's -- +goose Up: this is a rubenv/sql-migrate migration, which Stepwise has no import for yet",
                    "in a copy, write -- +goose for each -- +migrate annotation (-- +goose NO TRANSACTION for notransaction) and name the files <version>_<name>.sql, then import that as goose")
                : new MigrationProblem(Severity.Error, "no-up-marker", file, 1, 1,
                    "the file has no -- +goose Up annotation (goose refuses it too)", "add -- +goose Up above the migration's SQL in the source, then import again"));
            return null;
        }
        foreach (var (from, to) in envsubRanges)
        {
            var part = new List<MigrationProblem>();
            MigrationText.WarnPlaceholders(text[from..to], file, "goose ENVSUB", part);
            var offset = new Stepwise.Sql.SourceText(text, null).LineColumn(from).Line - 1;
            problems.AddRange(part.Select(p => p with { Line = p.Line + offset }));
        }

        string Strip(int from, int to)
        {
            var sb = new StringBuilder();
            var at = from;
            foreach (var (start, end, with) in removed.Where(r => r.Start >= from && r.Start < to).OrderBy(r => r.Start))
            {
                sb.Append(text, at, start - at).Append(with);
                at = end;
            }
            sb.Append(text, at, Math.Max(0, to - at));
            return sb.ToString();
        }
        var up = sections[0].Start;
        var down = sections.Count > 1 ? sections[1].Start : text.Length;
        // Text before the Up annotation (goose's leading comments) stays above the section.
        var preamble = Strip(0, up).Trim('\n');
        var body = MigrationText.Versioned("", Strip(up, down), sections.Count > 1 ? Strip(down, text.Length) : null, noTransaction, noTransaction).TrimStart('\n');
        return (preamble.Length > 0 ? preamble + "\n" : "") + body;
    }

    [GeneratedRegex(@"^(?<version>\d+)_(?<name>.*)\.(?<ext>sql|go)$")]
    private static partial Regex FileName();

    // goose: ^--\s\+goose\s.*$, case-insensitive, at the start of a line.
    [GeneratedRegex(@"^--\s\+goose\s(?<name>.*)$", RegexOptions.IgnoreCase)]
    private static partial Regex Annotation();
}
