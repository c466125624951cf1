namespace Stepwise.Sql;

/// <summary>
/// A minimal lexer over PostgreSQL script text that knows only what is needed to find boundaries the
/// parser does not give us: where comments and whitespace end, where psql meta-commands are, and
/// where top-level semicolons are when a syntax error stops the parser. It understands
/// <c>--</c> comments, nested <c>/* */</c> comments, <c>'...'</c> and <c>E'...'</c> strings,
/// <c>"..."</c> identifiers and <c>$tag$...$tag$</c> dollar quotes. Unterminated constructs run to the end.
/// </summary>
internal static class SqlLexer
{
    internal enum Segment
    {
        Whitespace,
        Comment,
        Quoted,      // string, quoted identifier or dollar-quoted body
        Semicolon,
        MetaCommand, // a backslash outside quotes: psql reads to the end of the line
        Code,
    }

    /// <summary>Calls <paramref name="visit"/> with (kind, start, end) for each segment of [start, end).</summary>
    internal static void Scan(string s, int start, int end, Func<Segment, int, int, bool> visit)
    {
        var i = start;
        while (i < end)
        {
            var c = s[i];
            var segStart = i;
            Segment kind;
            if (char.IsWhiteSpace(c))
            {
                while (i < end && char.IsWhiteSpace(s[i]))
                {
                    i++;
                }
                kind = Segment.Whitespace;
            }
            else if (c == '-' && i + 1 < end && s[i + 1] == '-')
            {
                while (i < end && s[i] != '\n')
                {
                    i++;
                }
                kind = Segment.Comment;
            }
            else if (c == '/' && i + 1 < end && s[i + 1] == '*')
            {
                i = SkipBlockComment(s, i, end);
                kind = Segment.Comment;
            }
            else if (c == '\'')
            {
                var escapes = i > start && (s[i - 1] == 'E' || s[i - 1] == 'e') && (i - 1 == start || !IsIdentChar(s[i - 2]));
                i = SkipQuoted(s, i, end, '\'', escapes);
                kind = Segment.Quoted;
            }
            else if (c == '"')
            {
                i = SkipQuoted(s, i, end, '"', backslashEscapes: false);
                kind = Segment.Quoted;
            }
            else if (c == '$' && (i == start || !IsIdentChar(s[i - 1])) && TryDollarTag(s, i, end, out var tagLength))
            {
                var tag = s.AsSpan(i, tagLength);
                var close = s.AsSpan(i + tagLength, end - i - tagLength).IndexOf(tag, StringComparison.Ordinal);
                i = close < 0 ? end : i + tagLength + close + tagLength;
                kind = Segment.Quoted;
            }
            else if (c == ';')
            {
                i++;
                kind = Segment.Semicolon;
            }
            else if (c == '\\')
            {
                while (i < end && s[i] != '\n')
                {
                    i++;
                }
                kind = Segment.MetaCommand;
            }
            else
            {
                i++;
                while (i < end && IsPlainCode(s, i, end))
                {
                    i++;
                }
                kind = Segment.Code;
            }
            if (!visit(kind, segStart, i))
            {
                return;
            }
        }
    }

    /// <summary>First offset at or after <paramref name="start"/> that is neither whitespace nor a comment.</summary>
    internal static int SkipTrivia(string s, int start, int end)
    {
        var result = end;
        Scan(s, start, end, (kind, from, _) =>
        {
            if (kind is Segment.Whitespace or Segment.Comment)
            {
                return true;
            }
            result = from;
            return false;
        });
        return result;
    }

    /// <summary>True when [start, end) holds anything besides whitespace, comments and semicolons.</summary>
    internal static bool HasCode(string s, int start, int end)
    {
        var found = false;
        Scan(s, start, end, (kind, _, _) =>
        {
            found = kind is not (Segment.Whitespace or Segment.Comment or Segment.Semicolon);
            return !found;
        });
        return found;
    }

    /// <summary>Offset just past the last character that is not whitespace in [start, end).</summary>
    internal static int TrimEnd(string s, int start, int end)
    {
        while (end > start && char.IsWhiteSpace(s[end - 1]))
        {
            end--;
        }
        return end;
    }

    private static bool IsPlainCode(string s, int i, int end)
    {
        var c = s[i];
        if (char.IsWhiteSpace(c) || c is '\'' or '"' or ';' or '\\')
        {
            return false;
        }
        if (c == '-' && i + 1 < end && s[i + 1] == '-')
        {
            return false;
        }
        if (c == '/' && i + 1 < end && s[i + 1] == '*')
        {
            return false;
        }
        return c != '$' || IsIdentChar(s[i - 1]) || !TryDollarTag(s, i, end, out _);
    }

    internal static bool IsIdentChar(char c) => char.IsLetterOrDigit(c) || c == '_' || c == '$' || c > 0x7f;

    private static bool TryDollarTag(string s, int i, int end, out int length)
    {
        // $$ or $tag$ where tag is an identifier that does not start with a digit ($1 is a parameter).
        length = 0;
        var j = i + 1;
        if (j < end && s[j] == '$')
        {
            length = 2;
            return true;
        }
        if (j >= end || char.IsDigit(s[j]) || !(char.IsLetter(s[j]) || s[j] == '_' || s[j] > 0x7f))
        {
            return false;
        }
        while (j < end && (char.IsLetterOrDigit(s[j]) || s[j] == '_' || s[j] > 0x7f))
        {
            j++;
        }
        if (j < end && s[j] == '$')
        {
            length = j - i + 1;
            return true;
        }
        return false;
    }

    private static int SkipBlockComment(string s, int i, int end)
    {
        var depth = 0;
        while (i < end)
        {
            if (s[i] == '/' && i + 1 < end && s[i + 1] == '*')
            {
                depth++;
                i += 2;
            }
            else if (s[i] == '*' && i + 1 < end && s[i + 1] == '/')
            {
                depth--;
                i += 2;
                if (depth == 0)
                {
                    return i;
                }
            }
            else
            {
                i++;
            }
        }
        return end;
    }

    private static int SkipQuoted(string s, int i, int end, char quote, bool backslashEscapes)
    {
        i++;
        while (i < end)
        {
            var c = s[i];
            if (backslashEscapes && c == '\\')
            {
                i += 2;
                continue;
            }
            if (c == quote)
            {
                if (i + 1 < end && s[i + 1] == quote)
                {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return end;
    }
}
