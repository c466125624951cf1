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
