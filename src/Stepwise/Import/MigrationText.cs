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
        sb.Append(up.Trim('\n')).Append('\n');
        if (down is not null && down.Trim().Length > 0)
        {
            sb.Append("\n-- stepwise:down\n");
            if (downNoTransaction)
            {
                sb.Append("-- stepwise:no-transaction\n");
            }
            sb.Append(down.Trim('\n')).Append('\n');
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

    /// <summary>The file's own transaction control taken out: its way out of the tool's transaction, then its wrapper.</summary>
    public static string WithoutTransactionControl(string text, string file, List<MigrationProblem> problems) =>
        WithoutTransactionWrapper(WithoutTransactionEscapes(text, file, problems), file, problems);

    /// <summary>
    /// <paramref name="text"/> without a <c>BEGIN;</c> (or <c>START TRANSACTION;</c>) that opens it and the
    /// <c>COMMIT;</c> that closes it: tools that send a file as one string let the file bracket itself, while
    /// Stepwise runs each migration in its own transaction (or statement by statement when one needs it).
    /// Anything else is returned as written (a warning names a removal).
    /// </summary>
    public static string WithoutTransactionWrapper(string text, string file, List<MigrationProblem> problems)
    {
        var script = SqlParser.Parse(text, file);
        var statements = script.Statements.Where(s => s.Kind == StatementKind.Sql).ToList();
        if (statements.Count < 2 || script.Errors.Count > 0
            || statements[0].Tree?.Root is not { Kind: "TransactionStmt" } first || first.String("kind") is not ("TRANS_STMT_BEGIN" or "TRANS_STMT_START")
            || statements[^1].Tree?.Root is not { Kind: "TransactionStmt" } last || last.String("kind") != "TRANS_STMT_COMMIT"
            || statements.Skip(1).SkipLast(1).Any(s => s.Tree?.Root.Kind == "TransactionStmt"))
        {
            return text;
        }
        int EndOf(SqlStatement s)
        {
            var end = s.Span.Start + s.Span.Length;
            return end < text.Length && text[end] == ';' ? end + 1 : end;
        }
        problems.Add(new MigrationProblem(Severity.Warning, "transaction-wrapper", file, statements[0].Span.StartLine, statements[0].Span.StartColumn,
            $"removed: the {statements[0].CommandTag} and COMMIT around the file (Stepwise runs the migration in one transaction itself)", null));
        var (open, close) = (statements[0], statements[^1]);
        return text[..open.Span.Start] + text[EndOf(open)..close.Span.Start] + text[EndOf(close)..];
    }

    /// <summary>
    /// <paramref name="text"/> without each <c>COMMIT;</c> ... <c>BEGIN;</c> pair a file writes to step out of the
    /// transaction its tool runs it in (for <c>CREATE INDEX CONCURRENTLY</c>, say): Stepwise refuses a migration that
    /// controls transactions, and needs no such way out, as a statement that cannot run in a transaction makes it run
    /// the section statement by statement by itself. A warning names each removal; anything else stays as written.
    /// </summary>
    public static string WithoutTransactionEscapes(string text, string file, List<MigrationProblem> problems)
    {
        var script = SqlParser.Parse(text, file);
        if (script.Errors.Count > 0)
        {
            return text;
        }
        static string? Kind(SqlStatement s) => s.Tree?.Root is { Kind: "TransactionStmt" } root ? root.String("kind") : null;
        var statements = script.Statements.Where(s => s.Kind == StatementKind.Sql).ToList();
        var cuts = new List<SqlStatement>();
        for (var i = 0; i < statements.Count; i++)
        {
            var next = statements.FindIndex(i + 1, s => Kind(s) is not null);
            if (Kind(statements[i]) != "TRANS_STMT_COMMIT" || next < 0 || Kind(statements[next]) is not ("TRANS_STMT_BEGIN" or "TRANS_STMT_START"))
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
        var sb = new StringBuilder();
        var at = 0;
        foreach (var cut in cuts)
        {
            var end = cut.Span.Start + cut.Span.Length;
            end = end < text.Length && text[end] == ';' ? end + 1 : end;
            sb.Append(text, at, cut.Span.Start - at);
            at = end;
        }
        return sb.Append(text, at, text.Length - at).ToString();
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
