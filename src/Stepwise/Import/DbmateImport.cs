using System.Text;
using System.Text.RegularExpressions;
using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Import;

/// <summary>
/// Reads a dbmate directory: <c>&lt;version&gt;_name.sql</c> files (the version is the leading digits)
/// with <c>-- migrate:up</c> and <c>-- migrate:down</c> markers, which become <c>-- stepwise:up</c> and
/// <c>-- stepwise:down</c>; dbmate's <c>transaction:false</c> becomes <c>-- stepwise:no-transaction</c>.
/// The version is kept as written, so dbmate's <c>schema_migrations</c> rows name the Stepwise versions.
/// </summary>
internal static partial class DbmateImport
{
    public static ImportResult Read(string directory)
    {
        var problems = new List<MigrationProblem>();
        var files = new List<(long Version, string VersionText, string Name, string File)>();
        foreach (var file in SourceDirectory.Files(directory, ImportSource.Dbmate))
        {
            var fileName = Path.GetFileName(file);
            var match = FileName().Match(fileName);
            if (!match.Success)
            {
                problems.Add(new MigrationProblem(Severity.Warning, "not-a-migration", file, 0, 0,
                    "not converted: dbmate only runs files named <version>_<name>.sql (version: digits)", null));
                continue;
            }
            var versionText = match.Groups["version"].Value;
            if (!long.TryParse(versionText, out var version) || version == long.MaxValue)
            {
                problems.Add(new MigrationProblem(Severity.Error, "bad-version", file, 0, 0,
                    $"version '{versionText}' must be an integer below 9223372036854775807 for Stepwise", "rename the file in a copy of the directory and import that"));
                continue;
            }
            files.Add((version, versionText, match.Groups["name"].Value, file));
        }

        // dbmate allows version 0 (00000000000000_init.sql): then it moves, as for golang-migrate.
        var stepwiseVersionOf = Importer.ZeroVersionMap([.. files.Select(f => f.Version)], ImportSource.Dbmate, files.FirstOrDefault(f => f.Version == 0).File ?? "", problems);
        var converted = new List<(long Version, ImportedMigration Migration)>();
        foreach (var (version, versionText, rawName, file) in files)
        {
            var fileName = Path.GetFileName(file);
            var content = Convert(Importer.ReadText(file, problems), file, problems);
            if (content is null)
            {
                continue;
            }
            converted.Add((version, new ImportedMigration($"{stepwiseVersionOf(version, versionText)}_{Importer.SafeName(rawName)}.sql",
                ImportOrigin.Header(ImportSource.Dbmate, fileName, versionText) + "\n" + content, fileName, versionText)));
        }
        // dbmate runs files in name order (20240101_a.sql before 3_b.sql); Stepwise by number.
        Importer.CheckNameOrder(converted, ImportSource.Dbmate, directory, problems,
            "rename them in a copy of the directory so numbers and names agree (dbmate runs them in name order), then import that");
        Importer.CheckDuplicateVersions(converted, directory, problems, "give one of them another version in a copy of the directory, then import that");
        Importer.ThrowIfErrors("nothing was imported", problems);
        return new ImportResult(ImportSource.Dbmate, directory, [.. converted.OrderBy(c => c.Version).Select(c => c.Migration)],
            [.. problems.Where(p => p.Severity == Severity.Warning)]);
    }

    /// <summary>The file with dbmate's markers replaced by Stepwise's; null (and an error) when it has no up marker.</summary>
    private static string? Convert(string text, string file, List<MigrationProblem> problems)
    {
        var sb = new StringBuilder();
        var at = 0;
        var ups = 0;
        foreach (var (start, end, line, column) in MigrationText.LineComments(text))
        {
            var (directive, error) = Directives.Read(text[start..end], start);
            if (error is not null)
            {
                problems.Add(new MigrationProblem(Severity.Error, "bad-directive", file, line, column, error, "fix the marker, then import again"));
                continue;
            }
            if (directive is not { Kind: Directives.Kind.Up or Directives.Kind.Down } || !text.AsSpan(start).StartsWith("-- migrate:", StringComparison.OrdinalIgnoreCase)
                && !text.AsSpan(start).StartsWith("--migrate:", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            ups += directive.Kind == Directives.Kind.Up ? 1 : 0;
            sb.Append(text, at, start - at);
            sb.Append(directive.Kind == Directives.Kind.Up ? "-- stepwise:up" : "-- stepwise:down");
            if (directive.NoTransaction)
            {
                sb.Append("\n-- stepwise:no-transaction");
            }
            at = end;
        }
        sb.Append(text, at, text.Length - at);
        if (ups == 0)
        {
            problems.Add(new MigrationProblem(Severity.Error, "no-up-marker", file, 1, 1,
                "the file has no -- migrate:up marker (dbmate refuses it too)", "add -- migrate:up above the migration's SQL in the source, then import again"));
            return null;
        }
        return sb.ToString().Trim('\n') + "\n";
    }

    [GeneratedRegex(@"^(?<version>\d+)[_\-.]?(?<name>.*)\.sql$")]
    private static partial Regex FileName();
}
