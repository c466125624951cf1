using System.Text;
using System.Text.RegularExpressions;
using Stepwise.Diagnostics;
using Stepwise.Migrations;
using Stepwise.Sql;

namespace Stepwise.Import;

/// <summary>
/// A migration file whose sections are marked by annotations in line comments at the start of a line, as goose
/// (<c>-- +goose Up</c>) and sql-migrate (<c>-- +migrate Up</c>) write them: an up and a down section, StatementBegin /
/// StatementEnd brackets around a statement with semicolons inside, and a way out of the tool's transaction. The two
/// tools read them alike; where they differ, <see cref="Dialect"/> says how.
/// </summary>
internal static class AnnotatedFile
{
    /// <summary>What an annotation means.</summary>
    internal enum Kind { Up, Down, StatementBegin, StatementEnd, NoTransaction, EnvsubOn, EnvsubOff }

    /// <summary>An annotation as read: its kind, and (sql-migrate's <c>Up notransaction</c>) whether its section runs outside a transaction.</summary>
    internal readonly record struct Annotation(Kind Kind, bool NoTransaction = false);

    /// <summary>How one tool writes its annotations.</summary>
    /// <param name="Tool">The tool.</param>
    /// <param name="Prefix">The annotations' prefix as written, for messages (<c>-- +goose</c>).</param>
    /// <param name="Line">Matches an annotation line (from its start), the words after the prefix in group <c>name</c>.</param>
    /// <param name="Read">The annotation the words name, or null when the tool has none of that name.</param>
    /// <param name="Known">The annotations the tool knows, for the hint of an unknown one.</param>
    /// <param name="SectionsRepeat">
    /// True when a second Up (or a Down before the Up) adds to its section, as sql-migrate reads it; false when the tool
    /// refuses the file (goose).
    /// </param>
    /// <param name="Lenient">
    /// True when the tool skips what it does not understand, an annotation it does not know or SQL above the first section
    /// (sql-migrate); false when it refuses the file (goose).
    /// </param>
    internal sealed record Dialect(ImportSource Tool, string Prefix, Regex Line, Func<string, Annotation?> Read, string Known, bool SectionsRepeat, bool Lenient);

    /// <summary>
    /// The file with <paramref name="dialect"/>'s annotations replaced by Stepwise's markers (the header is not included);
    /// null, with an error, when it cannot be. Comments above the first section stay above it.
    /// </summary>
    public static string? Convert(string text, string file, Dialect dialect, List<MigrationProblem> problems)
    {
        var tool = Importer.Name(dialect.Tool);
        var sections = new List<(Kind Kind, int Start, int Line)>();
        var removed = new List<(int Start, int End, string With)>();
        bool upNoTransaction = false, downNoTransaction = false;
        var envsub = false;
        var envsubRanges = new List<(int Start, int End)>();
        var envsubFrom = 0;
        foreach (var (start, end, line, column) in MigrationText.LineComments(text))
        {
            var match = dialect.Line.Match(text[start..end]);
            if (!match.Success || column != 1)
            {
                continue;
            }
            var words = match.Groups["name"].Value.Trim();
            var lineEnd = end < text.Length && text[end] == '\n' ? end + 1 : end;
            if (dialect.Read(words) is not { } annotation)
            {
                problems.Add(new MigrationProblem(Severity.Error, $"{tool}-annotation", file, line, column,
                    $"unknown {tool} annotation '{dialect.Prefix} {words}'" + (dialect.Lenient
                        ? $" ({tool} skips it without a word, so what it was meant to do never happened; Stepwise does not guess)"
                        : $" ({tool} refuses it too)"),
                    $"known: {dialect.Known}; fix it in the source, then import again"));
                return null;
            }
            switch (annotation.Kind)
            {
                case Kind.Up or Kind.Down:
                    if (!dialect.SectionsRepeat && (annotation.Kind == Kind.Up && sections.Any(s => s.Kind == Kind.Up) || annotation.Kind == Kind.Down && sections.All(s => s.Kind != Kind.Up)))
                    {
                        problems.Add(new MigrationProblem(Severity.Error, $"{tool}-annotation", file, line, column,
                            annotation.Kind == Kind.Up ? $"a second {dialect.Prefix} Up ({tool} refuses it too)" : $"{dialect.Prefix} Down before {dialect.Prefix} Up ({tool} refuses it too)",
                            "fix the file so it has one Up annotation, and Down after it, then import again"));
                        return null;
                    }
                    sections.Add((annotation.Kind, start, line));
                    removed.Add((start, lineEnd, ""));
                    upNoTransaction |= annotation.Kind == Kind.Up && annotation.NoTransaction;
                    downNoTransaction |= annotation.Kind == Kind.Down && annotation.NoTransaction;
                    break;
                case Kind.StatementBegin:
                    removed.Add((start, lineEnd, ""));
                    break;
                case Kind.StatementEnd:
                    // The tool ends the statement here, semicolon or not: keep it ended for PostgreSQL's parser.
                    removed.Add((start, lineEnd, text[..start].TrimEnd().EndsWith(';') ? "" : ";\n"));
                    break;
                case Kind.NoTransaction:
                    (upNoTransaction, downNoTransaction) = (true, true);
                    removed.Add((start, lineEnd, ""));
                    break;
                case Kind.EnvsubOn:
                    envsub = true;
                    envsubFrom = end;
                    removed.Add((start, lineEnd, ""));
                    break;
                case Kind.EnvsubOff:
                    if (envsub)
                    {
                        envsubRanges.Add((envsubFrom, start));
                    }
                    envsub = false;
                    removed.Add((start, lineEnd, ""));
                    break;
            }
        }
        if (envsub)
        {
            envsubRanges.Add((envsubFrom, text.Length));
        }
        if (sections.All(s => s.Kind != Kind.Up))
        {
            problems.Add(NoUpProblem(text, file, dialect));
            return null;
        }
        foreach (var (from, to) in envsubRanges)
        {
            var part = new List<MigrationProblem>();
            MigrationText.WarnPlaceholders(text[from..to], file, $"{tool} ENVSUB", part);
            var offset = new SourceText(text, null).LineColumn(from).Line - 1;
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
        string? Join(Kind kind)
        {
            var parts = sections.Select((s, i) => (s.Kind, From: s.Start, To: i + 1 < sections.Count ? sections[i + 1].Start : text.Length))
                .Where(s => s.Kind == kind).Select(s => Strip(s.From, s.To).Trim('\n')).ToList();
            return parts.Count == 0 ? null : string.Join("\n\n", parts);
        }
        var preamble = Strip(0, sections[0].Start).Trim('\n');
        if (preamble.Length > 0 && SqlParser.Parse(preamble).Statements.FirstOrDefault(s => s.Kind == StatementKind.Sql) is { } statement)
        {
            // The tool runs only what is in a section: a statement above the first one never ran (sql-migrate) or refuses the file (goose).
            if (!dialect.Lenient)
            {
                problems.Add(new MigrationProblem(Severity.Error, "outside-sections", file, statement.Span.StartLine, statement.Span.StartColumn,
                    $"SQL above {dialect.Prefix} {sections[0].Kind} at line {sections[0].Line} ({tool} refuses it too)", $"move it under {dialect.Prefix} Up in the source, or remove it, then import again"));
                return null;
            }
            problems.Add(new MigrationProblem(Severity.Warning, "outside-sections", file, statement.Span.StartLine, statement.Span.StartColumn,
                $"not converted: the SQL above line {sections[0].Line} ({dialect.Prefix} {sections[0].Kind}), which {tool} never runs, is left out", null));
            preamble = "";
        }
        var body = MigrationText.Versioned("", Join(Kind.Up)!, Join(Kind.Down), upNoTransaction, downNoTransaction).TrimStart('\n');
        return (preamble.Length > 0 ? preamble + "\n" : "") + body;
    }

    /// <summary>A file without the tool's Up annotation: when it has the other tool's, it says which import reads it.</summary>
    private static MigrationProblem NoUpProblem(string text, string file, Dialect dialect)
    {
        var tool = Importer.Name(dialect.Tool);
        var other = dialect.Tool == ImportSource.Goose && ForeignLayout.SqlMigrateUp().IsMatch(text) ? (Tool: ImportSource.SqlMigrate, Up: "-- +migrate Up")
            : dialect.Tool == ImportSource.SqlMigrate && ForeignLayout.GooseUp().IsMatch(text) ? (Tool: ImportSource.Goose, Up: "-- +goose Up")
            : default;
        return other.Up is null
            ? new MigrationProblem(Severity.Error, "no-up-marker", file, 1, 1,
                $"the file has no {dialect.Prefix} Up annotation ({tool} refuses it too)", $"add {dialect.Prefix} Up above the migration's SQL in the source, then import again")
            : new MigrationProblem(Severity.Error, "no-up-marker", file, 1, 1,
                $"the file has {Importer.Name(other.Tool)}'s {other.Up}, not {tool}'s {dialect.Prefix} Up: this is a {Importer.Name(other.Tool)} migration",
                $"import the directory as such: stepwise import {Importer.Name(other.Tool)} DIR");
    }
}
