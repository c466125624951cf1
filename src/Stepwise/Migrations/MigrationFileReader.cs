using Stepwise.Diagnostics;
using Stepwise.Sql;

namespace Stepwise.Migrations;

/// <summary>
/// Turns a migration file's text into sections: finds the markers and directives (comments that start
/// a line), parses the SQL with PostgreSQL's parser, and ties each assertion to the query after it.
/// Every problem is reported with its line and column; nothing throws.
/// </summary>
internal static class MigrationFileReader
{
    private sealed record Found(Directives.Directive Directive, int Line, int Column);

    /// <summary>Reads one file outside a directory (the linter): its sections, ignoring directory-level checks.</summary>
    internal static Migration ReadStandalone(SqlScript script, string displayPath)
    {
        var migration = new Migration(MigrationKind.Versioned, 0, "", "", Path.GetFileName(displayPath), displayPath, "");
        Read(migration, script.Source.Text, displayPath, [], script);
        return migration;
    }

    internal static void Read(Migration migration, string text, string displayPath, List<MigrationProblem> problems, SqlScript? parsed = null)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            problems.Add(new MigrationProblem(Severity.Error, "empty-file", displayPath, 1, 1,
                "the file is empty", "write the migration's SQL under -- stepwise:up, or delete the file"));
            return;
        }

        var script = parsed ?? SqlParser.Parse(text, displayPath);
        migration.Script = script;
        foreach (var error in script.Errors)
        {
            problems.Add(new MigrationProblem(Severity.Error, "syntax-error", displayPath, error.Line, error.Column,
                error.Message + "\n" + error.Excerpt, error.Hint));
        }

        var directives = FindDirectives(script.Source, displayPath, problems);
        var statements = script.Statements.Where(s => s.Kind == StatementKind.Sql).ToList();
        var markers = directives.Where(d => d.Directive.Kind is Directives.Kind.Up or Directives.Kind.Down).ToList();

        if (migration.Kind == MigrationKind.Repeatable)
        {
            foreach (var marker in markers)
            {
                problems.Add(Problem(displayPath, marker, "marker-in-repeatable",
                    "a repeatable migration has no up or down section", "remove the marker: the whole file runs whenever it changes"));
            }
            migration.Up = BuildSection(SectionDirection.Up, 0, text.Length, 0, statements, directives, fileDefaults: null, displayPath, problems);
            return;
        }

        var ups = markers.Where(m => m.Directive.Kind == Directives.Kind.Up).ToList();
        var downs = markers.Where(m => m.Directive.Kind == Directives.Kind.Down).ToList();
        if (ups.Count == 0)
        {
            problems.Add(new MigrationProblem(Severity.Error, "no-up-section", displayPath, 1, 1,
                "the file has no up section", "start the migration's SQL with a line -- stepwise:up (and the undoing with -- stepwise:down)"));
            return;
        }
        foreach (var extra in ups.Skip(1).Concat(downs.Skip(1)))
        {
            problems.Add(Problem(displayPath, extra, "duplicate-marker", $"a second {extra.Directive.Text} marker", "a file has one up section and at most one down section"));
        }

        var firstMarker = markers.Min(m => m.Directive.Offset);
        foreach (var stray in statements.Where(s => s.Span.Start < firstMarker))
        {
            problems.Add(new MigrationProblem(Severity.Error, "statement-outside-section", displayPath, stray.Span.StartLine, stray.Span.StartColumn,
                "this statement comes before the first section marker", "move it under -- stepwise:up or -- stepwise:down"));
        }
        foreach (var marker in markers)
        {
            var inside = statements.FirstOrDefault(s => s.Span.Start < marker.Directive.Offset && marker.Directive.Offset < s.Span.End);
            if (inside is not null)
            {
                problems.Add(Problem(displayPath, marker, "marker-inside-statement",
                    $"{marker.Directive.Text} is inside the statement that starts at line {inside.Span.StartLine}", "end that statement with a semicolon before the marker"));
            }
        }

        // Directives before the first marker apply to both sections.
        var fileDefaults = directives.Where(d => d.Directive.Offset < firstMarker).ToList();
        foreach (var assert in fileDefaults.Where(d => d.Directive.Kind == Directives.Kind.Assert))
        {
            problems.Add(Problem(displayPath, assert, "assert-outside-up", "an assertion before the up section", "put -- stepwise:assert inside the up section, right before its query"));
        }

        var ordered = markers.Where(m => m == ups[0] || (downs.Count > 0 && m == downs[0])).OrderBy(m => m.Directive.Offset).ToList();
        for (var i = 0; i < ordered.Count; i++)
        {
            var marker = ordered[i];
            var start = marker.Directive.Offset;
            var end = i + 1 < ordered.Count ? ordered[i + 1].Directive.Offset : text.Length;
            var direction = marker.Directive.Kind == Directives.Kind.Up ? SectionDirection.Up : SectionDirection.Down;
            var section = BuildSection(direction, start, end, marker.Line, statements, directives, fileDefaults, displayPath, problems, marker.Directive.NoTransaction);
            if (direction == SectionDirection.Up)
            {
                migration.Up = section;
                // A section whose statements do not parse has its syntax errors; "no statements" would only mislead.
                if (section.Statements.Count == 0 && !script.Errors.Any(e => e.Offset >= start && e.Offset < end))
                {
                    problems.Add(Problem(displayPath, marker, "empty-up-section", "the up section has no statements", "write the migration's SQL under the marker"));
                }
            }
            else
            {
                migration.Down = section;
            }
        }
    }

    private static MigrationSection BuildSection(SectionDirection direction, int start, int end, int markerLine, List<SqlStatement> all,
        List<Found> directives, List<Found>? fileDefaults, string displayPath, List<MigrationProblem> problems, bool markerNoTransaction = false)
    {
        var statements = all.Where(s => s.Span.Start >= start && s.Span.Start < end).ToList();
        var firstStatement = statements.Count > 0 ? statements[0].Span.Start : end;
        var mine = directives.Where(d => d.Directive.Offset > start && d.Directive.Offset < end
            && d.Directive.Kind is not (Directives.Kind.Up or Directives.Kind.Down)).ToList();
        if (markerLine == 0)
        {
            mine = directives.Where(d => d.Directive.Kind is not (Directives.Kind.Up or Directives.Kind.Down)).ToList();
        }

        var noTransaction = markerNoTransaction;
        TimeSpan? lockTimeout = null, statementTimeout = null;
        foreach (var found in (fileDefaults ?? []).Concat(mine))
        {
            var d = found.Directive;
            if (d.Kind == Directives.Kind.Assert)
            {
                continue;
            }
            if (d.Offset > firstStatement && d.Offset >= start)
            {
                problems.Add(Problem(displayPath, found, "directive-after-statement",
                    $"{d.Text} comes after the first statement of its section", "move it to the top of the section (or of the file, for both sections)"));
                continue;
            }
            switch (d.Kind)
            {
                case Directives.Kind.NoTransaction:
                    noTransaction = true;
                    break;
                case Directives.Kind.LockTimeout:
                    lockTimeout = d.Duration;
                    break;
                case Directives.Kind.StatementTimeout:
                    statementTimeout = d.Duration;
                    break;
            }
        }

        var assertions = new List<MigrationAssertion>();
        var queries = new HashSet<SqlStatement>();
        foreach (var found in mine.Where(f => f.Directive.Kind == Directives.Kind.Assert))
        {
            if (direction == SectionDirection.Down)
            {
                problems.Add(Problem(displayPath, found, "assert-outside-up", "assertions belong in the up section", "move it, with its query, under -- stepwise:up"));
                continue;
            }
            var query = statements.FirstOrDefault(s => s.Span.Start > found.Directive.Offset);
            if (query is null)
            {
                problems.Add(Problem(displayPath, found, "assert-without-query", $"assertion '{found.Directive.Name}' has no query after it",
                    "write the query that must return no rows (or true) on the lines after the directive"));
                continue;
            }
            if (!queries.Add(query))
            {
                problems.Add(Problem(displayPath, found, "assert-without-query", $"assertion '{found.Directive.Name}' shares its query with the assertion before it",
                    "give each -- stepwise:assert its own query"));
                continue;
            }
            if (query.Tree?.Kind != "SelectStmt")
            {
                problems.Add(new MigrationProblem(Severity.Error, "assert-not-a-query", displayPath, query.Span.StartLine, query.Span.StartColumn,
                    $"assertion '{found.Directive.Name}' must be a SELECT, not {query.CommandTag}", "write a query that returns no rows, or one row holding true, when the migration is right"));
            }
            if (assertions.Any(a => a.Name == found.Directive.Name))
            {
                problems.Add(Problem(displayPath, found, "duplicate-assertion", $"two assertions are named '{found.Directive.Name}'", "give each assertion its own name"));
            }
            assertions.Add(new MigrationAssertion(found.Directive.Name!, query));
        }

        return new MigrationSection(direction, markerLine, [.. statements.Where(s => !queries.Contains(s))], assertions, noTransaction, lockTimeout, statementTimeout);
    }

    /// <summary>Directive comments: <c>--</c> comments that start their line, outside strings and bodies.</summary>
    private static List<Found> FindDirectives(SourceText source, string displayPath, List<MigrationProblem> problems)
    {
        var text = source.Text;
        var found = new List<Found>();
        SqlLexer.Scan(text, 0, text.Length, (kind, from, to) =>
        {
            if (kind != SqlLexer.Segment.Comment || !text.AsSpan(from).StartsWith("--", StringComparison.Ordinal) || !StartsLine(text, from))
            {
                return true;
            }
            var (directive, error) = Directives.Read(text[from..to].TrimEnd('\r'), from);
            var (line, column) = source.LineColumn(from);
            if (error is not null)
            {
                problems.Add(new MigrationProblem(Severity.Error, "bad-directive", displayPath, line, column, error));
            }
            else if (directive is not null)
            {
                found.Add(new Found(directive, line, column));
            }
            return true;
        });
        return found;
    }

    /// <summary>True when only whitespace comes before <paramref name="offset"/> on its line.</summary>
    internal static bool StartsLine(string text, int offset)
    {
        for (var i = offset - 1; i >= 0 && text[i] != '\n'; i--)
        {
            if (!char.IsWhiteSpace(text[i]))
            {
                return false;
            }
        }
        return true;
    }

    private static MigrationProblem Problem(string file, Found at, string code, string message, string? hint) =>
        new(Severity.Error, code, file, at.Line, at.Column, message, hint);
}
