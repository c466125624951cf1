using System.Text;

namespace Stepwise.Sql;

/// <summary>
/// A script's text with its UTF-8 encoding and the maps between the two: libpg_query reports byte
/// offsets (statement locations) and character positions (error cursors); people read lines and columns.
/// Columns count Unicode code points, starting at 1.
/// </summary>
public sealed class SourceText
{
    private readonly int[]? _byteToChar; // null when the text is pure ASCII (identity map)
    private readonly int[]? _charToByte;
    private readonly int[] _lineStarts;  // char offsets where each line starts
    private readonly int[] _pairStarts;  // char offsets of surrogate pairs (two chars, one code point), ascending

    /// <summary>Wraps <paramref name="text"/>, named <paramref name="fileName"/> in messages.</summary>
    public SourceText(string text, string? fileName = null)
    {
        Text = text;
        FileName = fileName ?? "<input>";
        Utf8 = Encoding.UTF8.GetBytes(text);
        if (Utf8.Length != text.Length)
        {
            (_byteToChar, _charToByte) = BuildMaps(text, Utf8.Length);
        }
        var starts = new List<int> { 0 };
        var pairs = new List<int>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                starts.Add(i + 1);
            }
            else if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                pairs.Add(i++);
            }
        }
        _lineStarts = [.. starts];
        _pairStarts = [.. pairs];
    }

    /// <summary>The text as given.</summary>
    public string Text { get; }

    /// <summary>The name used in messages (a path, or <c>&lt;input&gt;</c>).</summary>
    public string FileName { get; }

    /// <summary>The UTF-8 bytes handed to the parser.</summary>
    internal byte[] Utf8 { get; }

    /// <summary>Number of lines (a trailing newline starts an empty last line).</summary>
    public int LineCount => _lineStarts.Length;

    /// <summary>Character offset of a UTF-8 byte offset (clamped to the text).</summary>
    public int ByteToChar(int byteOffset)
    {
        byteOffset = Math.Clamp(byteOffset, 0, Utf8.Length);
        return _byteToChar is null ? byteOffset : _byteToChar[byteOffset];
    }

    /// <summary>UTF-8 byte offset of a character offset (clamped to the text).</summary>
    public int CharToByte(int charOffset)
    {
        charOffset = Math.Clamp(charOffset, 0, Text.Length);
        return _charToByte is null ? charOffset : _charToByte[charOffset];
    }

    /// <summary>Character offset of a 1-based code-point position counted from <paramref name="fromChar"/>.</summary>
    internal int CodePointPositionToChar(int fromChar, int position)
    {
        // Every surrogate pair before the position adds one character; a few rounds settle it (no walk over the text).
        fromChar = Math.Clamp(fromChar, 0, Text.Length);
        var offset = Math.Min(Text.Length, fromChar + Math.Max(0, position - 1));
        var counted = 0;
        while (offset < Text.Length && PairsIn(fromChar, offset) is var pairs && pairs != counted)
        {
            offset = Math.Min(Text.Length, offset + pairs - counted);
            counted = pairs;
        }
        return offset;
    }

    /// <summary>1-based line and column (in code points) of a character offset, in logarithmic time.</summary>
    public (int Line, int Column) LineColumn(int charOffset)
    {
        charOffset = Math.Clamp(charOffset, 0, Text.Length);
        var line = LineIndex(charOffset);
        var start = _lineStarts[line];
        return (line + 1, charOffset - start - PairsIn(start, charOffset) + 1);
    }

    /// <summary>
    /// The text of a 1-based line as shown under a message: cut to a window around <paramref name="column"/>,
    /// control characters escaped, with a caret under the column. Bounded whatever the line's length.
    /// </summary>
    public SourceExcerpt Excerpt(int line, int column)
    {
        var (start, end) = LineBounds(line);
        var at = CodePointPositionToChar(start, column);
        return SourceExcerpt.Cut(Text.AsSpan(start, end - start), Math.Clamp(at, start, end) - start);
    }

    private int LineIndex(int charOffset)
    {
        var line = Array.BinarySearch(_lineStarts, charOffset);
        return line < 0 ? ~line - 1 : line;
    }

    /// <summary>How many surrogate pairs start in [from, to).</summary>
    private int PairsIn(int from, int to)
    {
        if (_pairStarts.Length == 0 || to <= from)
        {
            return 0;
        }
        static int Lower(int[] a, int value)
        {
            var i = Array.BinarySearch(a, value);
            return i < 0 ? ~i : i;
        }
        return Lower(_pairStarts, to) - Lower(_pairStarts, from);
    }

    private (int Start, int End) LineBounds(int line)
    {
        if (line < 1 || line > _lineStarts.Length)
        {
            return (0, 0);
        }
        var start = _lineStarts[line - 1];
        var end = line < _lineStarts.Length ? _lineStarts[line] - 1 : Text.Length;
        if (end > start && Text[end - 1] == '\r')
        {
            end--;
        }
        return (start, end);
    }

    /// <summary>The text of a 1-based line, without its line break.</summary>
    public string Line(int line)
    {
        var (start, end) = LineBounds(line);
        return Text[start..end];
    }

    /// <summary>A span of characters with its line and column bounds.</summary>
    public SourceSpan Span(int start, int end)
    {
        var (startLine, startColumn) = LineColumn(start);
        var (endLine, endColumn) = LineColumn(end);
        return new SourceSpan(start, end - start, startLine, startColumn, endLine, endColumn);
    }

    private static (int[] ByteToChar, int[] CharToByte) BuildMaps(string text, int byteCount)
    {
        var byteToChar = new int[byteCount + 1];
        var charToByte = new int[text.Length + 1];
        var b = 0;
        for (var c = 0; c < text.Length; c++)
        {
            charToByte[c] = b;
            var ch = text[c];
            int width;
            if (ch < 0x80)
            {
                width = 1;
            }
            else if (ch < 0x800)
            {
                width = 2;
            }
            else if (char.IsHighSurrogate(ch) && c + 1 < text.Length && char.IsLowSurrogate(text[c + 1]))
            {
                // A surrogate pair is one 4-byte sequence; both UTF-16 units map to its first byte.
                for (var k = 0; k < 4; k++)
                {
                    byteToChar[b + k] = c;
                }
                charToByte[c + 1] = b;
                b += 4;
                c++;
                continue;
            }
            else
            {
                width = 3; // BMP character, or a lone surrogate encoded as U+FFFD
            }
            for (var k = 0; k < width; k++)
            {
                byteToChar[b + k] = c;
            }
            b += width;
        }
        charToByte[text.Length] = b;
        byteToChar[byteCount] = text.Length;
        return (byteToChar, charToByte);
    }
}

/// <summary>A range of a script: character offset and length, with 1-based start and end line/column.</summary>
public readonly record struct SourceSpan(int Start, int Length, int StartLine, int StartColumn, int EndLine, int EndColumn)
{
    /// <summary>Character offset just past the span.</summary>
    public int End => Start + Length;

    /// <inheritdoc />
    public override string ToString() => StartLine == EndLine ? $"{StartLine}:{StartColumn}" : $"{StartLine}-{EndLine}";
}
