using System.Text;
using Stepwise.Diagnostics;
using Stepwise.Migrations;
using Stepwise.Sql;

namespace Stepwise.Import;

/// <summary>Builds the text of an imported Stepwise file and finds directive-like comments in source files.</summary>
internal static class MigrationText
{
    /// <summary>A versioned file: the origin header, the up section, and the down section when there is one.</summary>
    public static string Versioned(string header, string up, string? down, bool noTransaction, bool downNoTransaction = false)
    {
        var sb = new StringBuilder(header).Append('\n');
        sb.Append("-- stepwise:up\n");
        if (noTransaction)
        {
            sb.Append("-- stepwise:no-transaction\n");
        }
        var hasDown = down is not null && down.Trim().Length > 0;
        sb.Append((hasDown ? Ended(up) : up).Trim('\n')).Append('\n');
        if (hasDown)
        {
            sb.Append("\n-- stepwise:down\n");
            if (downNoTransaction)
            {
                sb.Append("-- stepwise:no-transaction\n");
            }
            sb.Append(down!.Trim('\n')).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>A repeatable file: the origin header, then the source as it is.</summary>
    public static string Repeatable(string header, string body) => header + "\n" + body.Trim('\n') + "\n";

    /// <summary>
    /// <c>--</c> comments that start a line, outside strings and bodies (where directives live), with
    /// their offset, end and 1-based line and column.
    /// </summary>
    public static List<(int Start, int End, int Line, int Column)> LineComments(string text)
    {
        var source = new SourceText(text, null);
        var found = new List<(int, int, int, int)>();
        SqlLexer.Scan(text, 0, text.Length, (kind, from, to) =>
        {
            if (kind == SqlLexer.Segment.Comment && text.AsSpan(from).StartsWith("--", StringComparison.Ordinal) && MigrationFileReader.StartsLine(text, from))
            {
                var (line, column) = source.LineColumn(from);
                found.Add((from, to, line, column));
            }
            return true;
        });
        return found;
    }

    /// <summary>
    /// <paramref name="text"/> without the transaction control a file writes for a tool that sends it as one string or
    /// runs it in one transaction, which Stepwise does itself (it refuses a migration that controls transactions):
    /// <list type="bullet">
    /// <item>each <c>COMMIT;</c> ... <c>BEGIN;</c> pair: the file's way out of its tool's transaction (for
    /// <c>CREATE INDEX CONCURRENTLY</c>, say, which makes Stepwise run the section statement by statement by itself),
    /// or, next to each other, a split of it in two;</item>
    /// <item>with <paramref name="wrapper"/>, a <c>BEGIN;</c> (or <c>START TRANSACTION;</c>) that opens the file and
    /// the <c>COMMIT;</c> that closes it.</item>
    /// </list>
    /// A warning names each removal; anything else is returned as written (a file that does not parse too).
    /// </summary>
    public static string WithoutTransactionControl(string text, string file, List<MigrationProblem> problems, bool wrapper = true)
    {
        var script = SqlParser.Parse(text, file);
        if (script.Errors.Count > 0)
        {
            return text;
        }
        var statements = script.Statements.Where(s => s.Kind == StatementKind.Sql).ToList();
        var cuts = new List<SqlStatement>();
        for (var i = 0; i < statements.Count; i++)
        {
            var next = statements.FindIndex(i + 1, s => s.Tree?.TransactionControl is not null);
            if (statements[i].Tree?.TransactionControl != "TRANS_STMT_COMMIT" || next < 0 || statements[next].Tree?.TransactionControl is not ("TRANS_STMT_BEGIN" or "TRANS_STMT_START"))
            {
                continue;
            }
            var (commit, begin) = (statements[i], statements[next]);
            // Next to each other they split the file's transaction in two (nakama's, for CockroachDB); around statements
            // they step out of it for those.
            problems.Add(new MigrationProblem(Severity.Warning, "transaction-escape", file, commit.Span.StartLine, commit.Span.StartColumn,
                next == i + 1
                    ? $"removed: the COMMIT at line {commit.Span.StartLine} and the {begin.CommandTag} at line {begin.Span.StartLine} that split the file's transaction in two " +
                      "(Stepwise runs the migration in one; write -- stepwise:no-transaction, or two migrations, if its parts must commit apart)"
                    : $"removed: the COMMIT at line {commit.Span.StartLine} and the {begin.CommandTag} at line {begin.Span.StartLine} around {next - i - 1} statement(s), the file's way out of its tool's transaction " +
                      "(Stepwise runs a section holding a statement that cannot run in a transaction statement by statement itself)", null));
            cuts.Add(commit);
            cuts.Add(begin);
            i = next;
        }
        var rest = statements.Except(cuts).ToList();
        if (wrapper && rest.Count >= 2
            && rest[0].Tree?.TransactionControl is "TRANS_STMT_BEGIN" or "TRANS_STMT_START"
            && rest[^1].Tree?.TransactionControl == "TRANS_STMT_COMMIT"
            && !rest.Skip(1).SkipLast(1).Any(s => s.Tree?.TransactionControl is not null))
        {
            problems.Add(new MigrationProblem(Severity.Warning, "transaction-wrapper", file, rest[0].Span.StartLine, rest[0].Span.StartColumn,
                $"removed: the {rest[0].CommandTag} and COMMIT around the file (Stepwise runs the migration in one transaction itself)", null));
            cuts.Add(rest[0]);
            cuts.Add(rest[^1]);
        }
        var sb = new StringBuilder();
        var at = 0;
        foreach (var cut in cuts.OrderBy(c => c.Span.Start))
        {
            sb.Append(text, at, cut.Span.Start - at);
            at = End(text, cut);
        }
        return sb.Append(text, at, text.Length - at).ToString();
    }

    /// <summary>
    /// <paramref name="text"/> with a semicolon after its last statement when the file ended it without one (lemmy's
    /// <c>DO $$ ... $$</c> at the end of an up.sql): a tool that runs the file alone does not need it, but in one Stepwise
    /// file the down section's first statement would run on into it.
    /// </summary>
    private static string Ended(string text)
    {
        var script = SqlParser.Parse(text, null);
        if (script.Errors.Count > 0 || script.Statements.LastOrDefault(s => s.Kind == StatementKind.Sql) is not { } last)
        {
            return text;
        }
        var end = last.Span.Start + last.Span.Length;
        var next = end;
        while (next < text.Length && char.IsWhiteSpace(text[next]))
        {
            next++;
        }
        return next < text.Length && text[next] == ';' ? text : text.Insert(end, ";");
    }

    /// <summary>Where <paramref name="statement"/> of <paramref name="text"/> ends, its semicolon included.</summary>
    private static int End(string text, SqlStatement statement)
    {
        var end = statement.Span.Start + statement.Span.Length;
        return end < text.Length && text[end] == ';' ? end + 1 : end;
    }

    /// <summary>Why <c>{{ ... }}</c> in a migration is not SQL.</summary>
    public const string TemplateAction = "{{ ... }} is a template placeholder, not SQL: the project renders these files before running them";

    /// <summary>
    /// An error for every <c>{{</c> in <paramref name="text"/> (a file <paramref name="tool"/> renders as a Go template
    /// before running it, so each one is a template action, whatever SQL surrounds it), with its line and column.
    /// </summary>
    public static void RefuseTemplateActions(string text, string file, string tool, List<MigrationProblem> problems)
    {
        var source = new SourceText(text, null);
        for (var i = text.IndexOf("{{", StringComparison.Ordinal); i >= 0; i = text.IndexOf("{{", i + 2, StringComparison.Ordinal))
        {
            var end = text.IndexOf("}}", i, StringComparison.Ordinal);
            var action = end < 0 ? "{{" : text[i..(end + 2)].ReplaceLineEndings(" ");
            var (line, column) = source.LineColumn(i);
            problems.Add(new MigrationProblem(Severity.Error, "template", file, line, column,
                $"{(action.Length > 60 ? action[..60] + "..." : action)}: {TemplateAction} ({tool} renders each migration as a Go template); Stepwise runs SQL as written and cannot render it",
                "in a copy of the directory, replace it with the SQL it renders to (for {{ template \"shared/x.sql\" . }}, that file's text), then import the copy"));
        }
    }

    /// <summary>Problems for every <c>${name}</c> in <paramref name="text"/>: a placeholder the other tool would have replaced.</summary>
    public static void WarnPlaceholders(string text, string file, string tool, List<MigrationProblem> problems)
    {
        var source = new SourceText(text, null);
        for (var i = text.IndexOf("${", StringComparison.Ordinal); i >= 0; i = text.IndexOf("${", i + 2, StringComparison.Ordinal))
        {
            var end = text.IndexOf('}', i);
            var (line, column) = source.LineColumn(i);
            problems.Add(new MigrationProblem(Severity.Warning, "placeholder", file, line, column,
                $"{(end > i ? text[i..(end + 1)] : "${")} is a {tool} placeholder; Stepwise copies it as written and does not replace it",
                "replace it with its value in the imported file, then run stepwise hash"));
        }
    }
}
