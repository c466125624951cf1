using System.Globalization;
using System.Text;

namespace Stepwise.Sql;

/// <summary>
/// A source line as shown under a message, with a caret under the column: cut to at most
/// <see cref="MaxWidth"/> code points around the column (<c>…</c> where it was cut) and made printable
/// (<see cref="Printable"/>), so one finding costs the same on a 10-character line and on a 10-MB one,
/// and no NUL, escape sequence or noncharacter from a file reaches a terminal or a renderer.
/// </summary>
/// <param name="Text">The line as shown.</param>
/// <param name="Caret">Spaces (tabs kept, so it lines up) and a <c>^</c> under the column.</param>
public sealed record SourceExcerpt(string Text, string Caret)
{
    /// <summary>The most code points of the line shown.</summary>
    public const int MaxWidth = 120;

    /// <summary>The excerpt of <paramref name="line"/> at a 1-based code-point <paramref name="column"/>.</summary>
    public static SourceExcerpt Of(string line, int column)
    {
        ArgumentNullException.ThrowIfNull(line);
        return new SourceText(line).Excerpt(1, column);
    }

    /// <summary>The two lines, indented by four spaces, as every reporter prints them.</summary>
    public override string ToString() => $"    {Text}\n    {Caret}";

    /// <summary>Cuts <paramref name="line"/> around the character index <paramref name="at"/>.</summary>
    internal static SourceExcerpt Cut(ReadOnlySpan<char> line, int at)
    {
        var from = Math.Max(0, at - MaxWidth / 2);
        var to = Math.Min(line.Length, from + MaxWidth);
        from = Math.Max(0, Math.Min(from, to - MaxWidth));
        if (from > 0 && char.IsLowSurrogate(line[from]))
        {
            from++; // never split a surrogate pair
        }
        if (to < line.Length && char.IsLowSurrogate(line[to]))
        {
            to++;
        }
        var text = new StringBuilder();
        var caret = new StringBuilder();
        if (from > 0)
        {
            text.Append('…');
            caret.Append(' ');
        }
        for (var i = from; i < to;)
        {
            var length = char.IsHighSurrogate(line[i]) && i + 1 < to && char.IsLowSurrogate(line[i + 1]) ? 2 : 1;
            var before = text.Length;
            Printable.Append(text, line.Slice(i, length));
            if (i < at)
            {
                if (line[i] == '\t')
                {
                    caret.Append('\t');
                }
                else
                {
                    // One column per code point shown (an escape such as \0 is several).
                    caret.Append(' ', Math.Max(1, CodePoints(text, before)));
                }
            }
            i += length;
        }
        if (to < line.Length)
        {
            text.Append('…');
        }
        return new SourceExcerpt(text.ToString(), caret.Append('^').ToString());
    }

    private static int CodePoints(StringBuilder text, int from)
    {
        var count = 0;
        for (var i = from; i < text.Length; i++)
        {
            if (!char.IsLowSurrogate(text[i]))
            {
                count++;
            }
        }
        return count;
    }
}

/// <summary>
/// Makes text from files safe to print: control characters (but tab and line feed), NULs, unpaired
/// surrogates, noncharacters (U+FFFF, U+FDD0, ...), bidirectional overrides and line separators become
/// visible escapes (<c>\0</c>, <c>\x1b</c>, <c>\uFFFF</c>). Such characters corrupt terminals, hide code
/// (bidirectional overrides) or crash renderers (Spectre.Console's width table ends before U+FFFF).
/// </summary>
public static class Printable
{
    /// <summary><paramref name="text"/> with every unprintable character escaped; the same string when there is none.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var first = FirstUnprintable(text);
        if (first < 0)
        {
            return text;
        }
        var sb = new StringBuilder(text.Length + 16).Append(text, 0, first);
        Append(sb, text.AsSpan(first));
        return sb.ToString();
    }

    /// <summary>Appends <paramref name="text"/> to <paramref name="sb"/>, escaped.</summary>
    internal static void Append(StringBuilder sb, ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var value = char.ConvertToUtf32(c, text[i + 1]);
                if (IsNoncharacter(value))
                {
                    sb.Append(CultureInfo.InvariantCulture, $"\\U{value:X8}");
                }
                else
                {
                    sb.Append(c).Append(text[i + 1]);
                }
                i++;
            }
            else if (!IsUnprintable(c))
            {
                sb.Append(c);
            }
            else if (c == '\0')
            {
                sb.Append("\\0");
            }
            else if (c < 0x100)
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            }
            else
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
        }
    }

    private static int FirstUnprintable(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                if (IsNoncharacter(char.ConvertToUtf32(c, text[i + 1])))
                {
                    return i;
                }
                i++;
            }
            else if (IsUnprintable(c))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>A single UTF-16 unit (not part of a pair) that must not be printed as is.</summary>
    private static bool IsUnprintable(char c) =>
        (char.IsControl(c) && c is not '\t' and not '\n')
        || char.IsSurrogate(c)
        || IsNoncharacter(c)
        || c is '\u2028' or '\u2029' or '\uFEFF' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');

    private static bool IsNoncharacter(int value) => (value & 0xFFFE) == 0xFFFE || value is >= 0xFDD0 and <= 0xFDEF;
}
