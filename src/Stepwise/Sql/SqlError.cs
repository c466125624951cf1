using System.Text;

namespace Stepwise.Sql;

/// <summary>
/// A problem in SQL text, as a value: where (file, line, column), what (the parser's message) and the
/// offending line with a caret under the column. Bad SQL never throws; it yields one of these.
/// </summary>
/// <param name="SourceLine">The offending line; shown cut to a window around the column and escaped (<see cref="Excerpt"/>).</param>
public sealed record SqlError(string File, int Line, int Column, string Message, string SourceLine)
{
    private SourceExcerpt? _excerpt;

    /// <summary>Character offset of the error in the script.</summary>
    public int Offset { get; init; }

    /// <summary>What to do about it, when there is more to say than the parser's message.</summary>
    public string? Hint { get; init; }

    /// <summary>The line as shown, bounded and printable, with the caret under <see cref="Column"/>.</summary>
    public SourceExcerpt Excerpt
    {
        get => _excerpt ??= SourceExcerpt.Of(SourceLine, Column);
        init => _excerpt = value;
    }

    /// <summary>A line of spaces and a caret under <see cref="Column"/> in <see cref="Excerpt"/> (tabs kept, so it lines up).</summary>
    public string Caret => Excerpt.Caret;

    /// <summary><c>file:line:col: message</c>, then the source line and the caret, then the hint.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder()
            .Append(File).Append(':').Append(Line).Append(':').Append(Column).Append(": ").Append(Printable.Escape(Message))
            .Append('\n').Append(Excerpt);
        if (Hint is not null)
        {
            sb.Append('\n').Append("hint: ").Append(Hint);
        }
        return sb.ToString();
    }

    internal static SqlError At(SourceText source, int charOffset, string message, string? hint = null)
    {
        var (line, column) = source.LineColumn(charOffset);
        var excerpt = source.Excerpt(line, column);
        // The excerpt stands for the line: a long line is not copied into every error.
        return new SqlError(source.FileName, line, column, message, excerpt.Text) { Offset = charOffset, Hint = hint, Excerpt = excerpt };
    }
}
