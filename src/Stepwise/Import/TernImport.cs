using System.Globalization;
using System.Text.RegularExpressions;
using Stepwise.Diagnostics;
using Stepwise.Migrations;
using Stepwise.Sql;

namespace Stepwise.Import;

/// <summary>
/// Reads a tern (jackc/tern) directory: <c>&lt;n&gt;_&lt;name&gt;.sql</c> files numbered 1, 2, 3, ... without a gap, each
/// split into up and down at its first <c>---- create above / drop below ----</c>. A <c>---- tern: disable-tx ----</c> line
/// runs its section outside a transaction (<c>-- stepwise:no-transaction</c>). tern renders every file as a Go template
/// first, so each <c>{{</c> is a template action, which Stepwise cannot render: refused with its line and column. The
/// version is kept as written; tern's <c>schema_version</c> holds the number of the last one applied.
/// </summary>
internal static partial class TernImport
{
    /// <summary>Where tern splits a file: the first occurrence of this text, anywhere.</summary>
    private const string Separator = "---- create above / drop below ----";

    public static ImportResult Read(string directory)
    {
        var problems = new List<MigrationProblem>();
        var files = new SortedDictionary<int, (string File, string Digits, string Name)>();
        foreach (var file in SourceDirectory.Files(directory, ImportSource.Tern))
        {
            var fileName = Path.GetFileName(file);
            var match = FileName().Match(fileName);
            if (!match.Success)
            {
                problems.Add(new MigrationProblem(Severity.Warning, "not-a-migration", file, 0, 0, "not converted: tern runs only files named <n>_<name>.sql", null));
                continue;
            }
            var digits = match.Groups["n"].Value;
            if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n == 0)
            {
                problems.Add(new MigrationProblem(Severity.Error, "bad-version", file, 0, 0,
                    $"tern numbers its migrations 1, 2, 3, ... as 32-bit integers: {digits} is not one of them (tern cannot run it either)",
                    "rename the file in a copy of the directory and import that"));
                continue;
            }
            if (files.TryGetValue(n, out var other))
            {
                problems.Add(new MigrationProblem(Severity.Error, "duplicate-version", file, 0, 0,
                    $"migration {n} is both {Path.GetFileName(other.File)} and {fileName} (tern refuses it too: Duplicate migration {n})",
                    "remove or renumber one of them in a copy of the directory and import that"));
                continue;
            }
            files[n] = (file, digits, match.Groups["name"].Value);
        }
        // tern runs migration n as the n-th step and records only the count: a missing number leaves it nothing to run.
        var expected = 1;
        foreach (var n in files.Keys)
        {
            if (n != expected)
            {
                problems.Add(new MigrationProblem(Severity.Error, "missing-version", directory, 0, 0,
                    $"there is no migration {expected}{(n > expected + 1 ? $" to {n - 1}" : "")} before {Path.GetFileName(files[n].File)} (tern refuses it too: Missing migration {expected})",
                    "tern numbers migrations 1, 2, 3, ... without a gap: renumber them in a copy of the directory and import that"));
                break;
            }
            expected++;
        }
        foreach (var shared in Directory.EnumerateDirectories(directory).Where(d => !Path.GetFileName(d).StartsWith('.'))
                     .SelectMany(d => Directory.EnumerateFiles(d, "*.sql", SearchOption.AllDirectories)).Order(StringComparer.Ordinal))
        {
            problems.Add(new MigrationProblem(Severity.Warning, "not-a-migration", shared, 0, 0,
                "not converted: a .sql file in a subdirectory is a shared template tern includes where a migration says {{ template ... }} (such a migration is refused)", null));
        }

        var converted = new List<ImportedMigration>();
        foreach (var (n, (file, digits, name)) in files)
        {
            var text = Importer.ReadText(file, problems);
            MigrationText.RefuseTemplateActions(text, file, "tern", problems);
            var cut = text.IndexOf(Separator, StringComparison.Ordinal);
            var (up, upNoTransaction) = Section(cut < 0 ? text : text[..cut], 1, file, problems);
            if (!HasSql(up))
            {
                problems.Add(new MigrationProblem(Severity.Error, "empty-up-section", file, 1, 1,
                    cut < 0 ? "the file holds no SQL (tern refuses it too: no sql in forward migration step)" : $"there is no SQL above {Separator} (tern refuses it too: no sql in forward migration step)",
                    "write the migration's SQL above the separator in the source, then import again"));
            }
            string? down = null;
            var downNoTransaction = false;
            if (cut >= 0)
            {
                var separatorLine = new SourceText(text, null).LineColumn(cut).Line;
                (down, downNoTransaction) = Section(text[(cut + Separator.Length)..], separatorLine, file, problems);
            }
            if (down is null || !HasSql(down))
            {
                problems.Add(new MigrationProblem(Severity.Warning, "no-down", file, 0, 0,
                    $"no SQL below {Separator}: the migration has no down section (tern cannot migrate it down either)", null));
            }
            var id = n.ToString(CultureInfo.InvariantCulture);
            converted.Add(new ImportedMigration($"{digits}_{Importer.SafeName(name)}.sql",
                MigrationText.Versioned(ImportOrigin.Header(ImportSource.Tern, Path.GetFileName(file), id), up, down, upNoTransaction, downNoTransaction),
                Path.GetFileName(file), id));
        }
        if (files.Count == 0 && !problems.Any(p => p.Severity == Severity.Error))
        {
            problems.Add(new MigrationProblem(Severity.Error, "no-migrations", directory, 0, 0,
                "the directory holds no <n>_<name>.sql file: there is no tern migration to import (tern refuses it too: migrations not found)",
                "pass the directory tern reads (tern.conf, or tern migrate --migrations DIR)"));
        }
        Importer.ThrowIfErrors("nothing was imported", problems);
        return new ImportResult(ImportSource.Tern, directory, converted, [.. problems.Where(p => p.Severity == Severity.Warning)]);
    }

    /// <summary>
    /// A section's SQL without its <c>---- tern: disable-tx ----</c> lines (and whether it had one) and without a
    /// transaction control the file writes around itself or to step out of tern's transaction (warnings placed in the file).
    /// </summary>
    private static (string Sql, bool NoTransaction) Section(string text, int firstLine, string file, List<MigrationProblem> problems)
    {
        var noTransaction = DisableTx().IsMatch(text);
        var sql = DisableTx().Replace(text, "");
        var found = new List<MigrationProblem>();
        sql = MigrationText.WithoutTransactionControl(sql, file, found);
        problems.AddRange(found.Select(p => p with { Line = p.Line + firstLine - 1 }));
        return (sql.Trim('\n', ' ', '\t'), noTransaction);
    }

    /// <summary>tern's test: a line that is neither blank nor a <c>--</c> comment.</summary>
    private static bool HasSql(string sql) => sql.Split('\n').Select(l => l.Trim()).Any(l => l.Length > 0 && !l.StartsWith("--", StringComparison.Ordinal));

    // tern: \A(\d+)_.+\.sql\z
    [GeneratedRegex(@"^(?<n>\d+)_(?<name>.+)\.sql$")]
    private static partial Regex FileName();

    // tern: (?m)^---- tern: disable-tx ----$, the line removed before the section runs.
    [GeneratedRegex(@"(?m)^---- tern: disable-tx ----$")]
    private static partial Regex DisableTx();
}
