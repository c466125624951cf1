using System.Text;

namespace Stepwise.Sql;

/// <summary>
/// A problem in SQL text, as a value: where (file, line, column), what (the parser's message) and the
/// offending line with a caret under the column. Bad SQL never throws; it yields one of these.
/// </summary>
public sealed record SqlError(string File, int Line, int Column, string Message, string SourceLine)
{
    /// <summary>Character offset of the error in the script.</summary>
    public int Offset { get; init; }

    /// <summary>What to do about it, when there is more to say than the parser's message.</summary>
    public string? Hint { get; init; }

    /// <summary>A line of spaces and a caret under <see cref="Column"/> (tabs kept, so it lines up).</summary>
    public string Caret
    {
        get
        {
            var sb = new StringBuilder();
            var column = 1;
            foreach (var rune in SourceLine.EnumerateRunes())
            {
                if (column >= Column)
                {
                    break;
                }
                sb.Append(rune.Value == '\t' ? '\t' : ' ');
                column++;
            }
            return sb.Append('^').ToString();
        }
    }

    /// <summary><c>file:line:col: message</c>, then the source line and the caret, then the hint.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder()
            .Append(File).Append(':').Append(Line).Append(':').Append(Column).Append(": ").Append(Message)
            .Append('\n').Append("    ").Append(SourceLine)
            .Append('\n').Append("    ").Append(Caret);
        if (Hint is not null)
        {
            sb.Append('\n').Append("hint: ").Append(Hint);
        }
        return sb.ToString();
    }

    internal static SqlError At(SourceText source, int charOffset, string message, string? hint = null)
    {
        var (line, column) = source.LineColumn(charOffset);
        return new SqlError(source.FileName, line, column, message, source.Line(line)) { Offset = charOffset, Hint = hint };
    }
}
