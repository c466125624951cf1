using System.Globalization;
using Stepwise.Diagnostics;
using Stepwise.Migrations;
using Stepwise.Sql;

namespace Stepwise.Import;

/// <summary>
/// Reads the directory a DbUp project gives <c>WithScriptsFromFileSystem</c> (or keeps its embedded scripts in): every
/// <c>*.sql</c> file is a script DbUp runs once, in ordinal order of its name. DbUp has no versions, so the scripts
/// become versions 1..N in that order, each header keeping the script's name, which is what DbUp's journal
/// (<c>schemaversions</c>) records and <c>baseline --from dbup</c> matches. DbUp runs a script without a transaction
/// unless the project configures one; the import gives each migration Stepwise's transaction unless
/// <see cref="ImportOptions.NoTransaction"/> asks for DbUp's default.
/// </summary>
internal static class DbUpImport
{
    public static ImportResult Read(string directory, ImportOptions options)
    {
        var problems = new List<MigrationProblem>();
        var scripts = new List<(string Name, string File)>();
        var skippedDirectories = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var file in SourceDirectory.Files(directory, ImportSource.DbUp, recursive: true))
        {
            var relative = Path.GetRelativePath(directory, file);
            if (!file.EndsWith(".sql", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add(new MigrationProblem(Severity.Warning, "not-a-migration", file, 0, 0, file.EndsWith(".cs", StringComparison.Ordinal)
                    ? "not converted: C# code (a DbUp code script, if it is one, runs code Stepwise cannot convert: write what it does as SQL; baseline --from dbup --skip-code adopts a database whose journal lists it)"
                    : "not converted: DbUp's file-system provider reads *.sql files only", null));
                continue;
            }
            var subdirectory = Path.GetDirectoryName(relative);
            if (!string.IsNullOrEmpty(subdirectory) && !options.IncludeSubdirectories)
            {
                (skippedDirectories.TryGetValue(subdirectory, out var list) ? list : skippedDirectories[subdirectory] = []).Add(file);
                continue;
            }
            // DbUp names a script by its path below the directory, with dots for the separators (sub/0001.sql: sub.0001.sql).
            scripts.Add((relative.Replace(Path.DirectorySeparatorChar, '.'), file));
        }
        foreach (var (subdirectory, files) in skippedDirectories)
        {
            problems.Add(new MigrationProblem(Severity.Error, "subdirectory", files[0], 0, 0,
                $"{subdirectory}{Path.DirectorySeparatorChar} holds {files.Count} .sql file(s), which DbUp's file-system provider runs only when the project sets FileSystemScriptOptions.IncludeSubDirectories",
                "pass --include-subdirectories if it does (DbUp then names each script by its path with dots, sub.0001.sql, and orders them by that name); otherwise import the directory from a copy without them"));
        }
        foreach (var same in scripts.GroupBy(s => s.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add(new MigrationProblem(Severity.Error, "duplicate-name", same.ElementAt(1).File, 0, 0,
                $"DbUp names both {Path.GetRelativePath(directory, same.First().File)} and {Path.GetRelativePath(directory, same.ElementAt(1).File)} {same.Key}, and would run only one of them on a database it already migrated",
                "rename one of them in a copy of the directory and import that"));
        }
        Importer.ThrowIfErrors("nothing was imported", problems);

        problems.Add(new MigrationProblem(Severity.Warning, "transaction-mode", directory, 0, 0, options.NoTransaction
            ? "each imported migration runs without a transaction, each statement committing on its own, as under DbUp's default (a script whose BEGIN ... COMMIT around it was removed keeps one transaction)"
            : "DbUp runs a script without a transaction unless the project calls WithTransactionPerScript() or WithTransaction(); each imported migration runs in one transaction (a statement that cannot, such as CREATE INDEX CONCURRENTLY, makes Stepwise run that migration statement by statement)",
            options.NoTransaction ? null : "pass --no-transaction to run them as DbUp's default does"));
        problems.Add(new MigrationProblem(Severity.Warning, "no-down", directory, 0, 0, "no down sections: DbUp has no down scripts", null));

        var width = scripts.Count.ToString(CultureInfo.InvariantCulture).Length;
        var converted = new List<ImportedMigration>();
        foreach (var ((name, file), index) in scripts.OrderBy(s => s.Name, StringComparer.Ordinal).Select((s, i) => (s, i)))
        {
            var before = problems.Count;
            var text = MigrationText.WithoutTransactionControl(Importer.ReadText(file, problems), file, problems);
            var wrapped = problems.Skip(before).Any(p => p.Code == "transaction-wrapper");
            WarnVariables(text, file, problems);
            var version = (index + 1).ToString(CultureInfo.InvariantCulture).PadLeft(width, '0');
            var relative = Path.GetRelativePath(directory, file).Replace(Path.DirectorySeparatorChar, '/');
            converted.Add(new ImportedMigration($"{version}_{Importer.SafeName(name[..^".sql".Length])}.sql",
                MigrationText.Versioned(ImportOrigin.Header(ImportSource.DbUp, relative, name), text, null, options.NoTransaction && !wrapped), relative, name));
        }
        Importer.ThrowIfErrors("nothing was imported", problems);
        return new ImportResult(ImportSource.DbUp, directory, converted, [.. problems.Where(p => p.Severity == Severity.Warning)]);
    }

    /// <summary>
    /// A warning for each DbUp variable, <c>$name$</c> (letters, digits, <c>_</c>, <c>-</c>) outside comments and
    /// <c>'...'</c> strings, found as DbUp finds them: DbUp replaces it (variables are on by default) and fails when it has
    /// no value; Stepwise copies it as written. A <c>$tag$</c> quoting a function's or DO's body (after <c>AS</c> or <c>DO</c>)
    /// is reported once per file: DbUp would take it for a variable unless the project turned variables off.
    /// </summary>
    private static void WarnVariables(string text, string file, List<MigrationProblem> problems)
    {
        // A body PostgreSQL reads as dollar-quoted: $tag$ ... $tag$ after AS (a function's) or DO. Elsewhere two $name$ are
        // more likely two uses of one variable (GRANT ... TO $reader$; twice) than a string.
        var delimiters = new HashSet<int>();
        SqlLexer.Scan(text, 0, text.Length, (kind, from, to) =>
        {
            if (kind == SqlLexer.Segment.Quoted && text[from] == '$' && text.IndexOf('$', from + 1) is var close and > 0
                && text[from..(close + 1)] is var tag && to - from >= 2 * tag.Length && text.AsSpan(to - tag.Length, tag.Length).SequenceEqual(tag)
                && PreviousWord(text, from) is "AS" or "DO")
            {
                delimiters.Add(from);
                delimiters.Add(to - tag.Length);
            }
            return true;
        });
        var source = new SourceText(text, null);
        var quotes = new List<(string Tag, int At)>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text.AsSpan(i).StartsWith("--", StringComparison.Ordinal))
            {
                i = text.IndexOf('\n', i) is var eol and >= 0 ? eol : text.Length;
            }
            else if (text.AsSpan(i).StartsWith("/*", StringComparison.Ordinal))
            {
                // Block comments nest, for DbUp as for PostgreSQL.
                for (var depth = 0; i < text.Length; i++)
                {
                    if (text.AsSpan(i).StartsWith("/*", StringComparison.Ordinal) || text.AsSpan(i).StartsWith("*/", StringComparison.Ordinal))
                    {
                        depth += text[i] == '/' ? 1 : -1;
                        i++;
                        if (depth == 0)
                        {
                            break;
                        }
                    }
                }
            }
            else if (text[i] == '\'')
            {
                i = text.IndexOf('\'', i + 1) is var end and >= 0 ? end : text.Length; // '' ends and restarts a string: the same
            }
            else if (text[i] == '$' && i + 1 < text.Length && IsNameChar(text[i + 1]))
            {
                var end = i + 1;
                while (end < text.Length && IsNameChar(text[end]))
                {
                    end++;
                }
                if (end < text.Length && text[end] == '$')
                {
                    var variable = text[i..(end + 1)];
                    if (delimiters.Contains(i))
                    {
                        quotes.Add((variable, i));
                    }
                    else
                    {
                        var (line, column) = source.LineColumn(i);
                        problems.Add(new MigrationProblem(Severity.Warning, "placeholder", file, line, column,
                            $"{variable} is a DbUp variable; Stepwise copies it as written and does not replace it" + (variable.Equals("$schema$", StringComparison.OrdinalIgnoreCase)
                                ? " (DbUp puts the schema given to PostgresqlDatabase there, or removes $schema$. when none is given)" : ""),
                            "replace it with its value: in the imported file, then stepwise hash; or, when the import stops at it (PostgreSQL cannot parse it), in a copy of the source, then import that"));
                    }
                }
                i = end;
            }
        }
        if (quotes.Count > 0)
        {
            var (line, column) = source.LineColumn(quotes[0].At);
            problems.Add(new MigrationProblem(Severity.Warning, "dollar-quote", file, line, column,
                $"{string.Join(", ", quotes.Select(q => q.Tag).Distinct())} quote a body as PostgreSQL reads them ({quotes.Count} in this file), copied as written; DbUp reads them as variables unless the project calls WithVariablesDisabled()",
                null));
        }
    }

    private static string PreviousWord(string text, int at)
    {
        var end = at;
        while (end > 0 && char.IsWhiteSpace(text[end - 1]))
        {
            end--;
        }
        var start = end;
        while (start > 0 && char.IsAsciiLetter(text[start - 1]))
        {
            start--;
        }
        return text[start..end].ToUpperInvariant();
    }

    private static bool IsNameChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '-';
}
