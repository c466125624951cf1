namespace Stepwise.Sql;

/// <summary>
/// PostgreSQL's own parser (libpg_query, PostgreSQL 15) for whole scripts. Bad SQL never throws:
/// every problem becomes a <see cref="SqlError"/> on the statement it belongs to, and the statements
/// around a syntax error are still split and parsed. Safe to call from many threads.
/// </summary>
public static class SqlParser
{
    /// <summary>Splits <paramref name="text"/> into statements and parses each into a tree.</summary>
    /// <exception cref="SqlParserUnavailableException">libpg_query is not installed.</exception>
    public static SqlScript Parse(string text, string? fileName = null) => Run(text, fileName, withTrees: true, CancellationToken.None);

    /// <summary><see cref="Parse"/> for whole files, which may be long: cancellation is checked between calls into the parser (one call cannot be interrupted).</summary>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    internal static SqlScript ParseFile(string text, string fileName, CancellationToken cancellationToken) => Run(text, fileName, withTrees: true, cancellationToken);

    /// <summary>Splits <paramref name="text"/> into statements without building trees (faster).</summary>
    /// <exception cref="SqlParserUnavailableException">libpg_query is not installed.</exception>
    public static SqlScript Split(string text, string? fileName = null) => Run(text, fileName, withTrees: false, CancellationToken.None);

    private static SqlScript Run(string text, string? fileName, bool withTrees, CancellationToken cancellationToken)
    {
        var run = new ScriptRun(new SourceText(text, fileName), withTrees, cancellationToken);
        run.MaskUnparseableText();
        var windows = withTrees ? run.Windows() : [(0, run.Source.Utf8.Length)];
        var found = new List<ScriptRun.Found>[windows.Count];
        if (windows.Count > 1)
        {
            // A long script is parsed in pieces of whole statements, on every core: the parser's own memory (its trees and
            // their JSON) stays that of one piece, not of the whole file, and one big file uses every core like many small ones.
            Parallel.For(0, windows.Count, new ParallelOptions { CancellationToken = cancellationToken }, w => found[w] = run.ParseWindow(windows[w].Start, windows[w].End));
        }
        else
        {
            found[0] = run.ParseWindow(windows[0].Start, windows[0].End);
        }
        var index = 0;
        return new SqlScript(run.Source, run.Statements(run.MetaCommands.Concat(found.SelectMany(f => f)), ref index), run.OtherErrors);
    }

    /// <summary>
    /// Parses <paramref name="text"/> in windows of whole statements (about 64 KiB each) that the caller takes one at a
    /// time, in any order and from any thread, so that a long file never has every statement's tree at once. One window
    /// for a short script, or when the grammar's split fails on a syntax error (the whole text is then parsed as one).
    /// </summary>
    /// <exception cref="SqlParserUnavailableException">libpg_query is not installed.</exception>
    internal static ScriptWindows ParseInWindows(string text, string fileName, CancellationToken cancellationToken, int windowBytes = ScriptRun.ChunkBytes)
    {
        var run = new ScriptRun(new SourceText(text, fileName), withTrees: true, cancellationToken, windowBytes);
        run.MaskUnparseableText();
        return new ScriptWindows(run, run.Windows());
    }

    /// <summary>A script parsed window by window (<see cref="ParseInWindows"/>).</summary>
    internal sealed class ScriptWindows
    {
        private readonly ScriptRun _run;
        private readonly IReadOnlyList<(int Start, int End)> _windows;

        internal ScriptWindows(ScriptRun run, IReadOnlyList<(int Start, int End)> windows)
        {
            _run = run;
            _windows = windows;
        }

        /// <summary>The text and its maps.</summary>
        internal SourceText Source => _run.Source;

        /// <summary>Problems of the whole text found before any window is parsed (NUL characters).</summary>
        internal IReadOnlyList<SqlError> OtherErrors => _run.OtherErrors;

        /// <summary>How many windows.</summary>
        internal int Count => _windows.Count;

        /// <summary>The 1-based line where window <paramref name="window"/> starts: every statement of it (and of the ones after) starts there or later.</summary>
        internal int StartLine(int window) => Source.LineColumn(Source.ByteToChar(_windows[window].Start)).Line;

        /// <summary>
        /// The statements of one window, in order (psql meta-commands in it included). Windows are parsed independently, so
        /// <see cref="SqlStatement.Index"/> counts from 0 in each.
        /// </summary>
        internal IReadOnlyList<SqlStatement> Parse(int window)
        {
            var (start, end) = _windows[window];
            var (from, to) = (Source.ByteToChar(start), Source.ByteToChar(end));
            var index = 0;
            return _run.Statements(_run.MetaCommands.Where(m => m.Start >= from && m.Start < to).Concat(_run.ParseWindow(start, end)), ref index);
        }
    }

    /// <summary>One parse of one script: the masked bytes handed to the parser and what came back.</summary>
    internal sealed class ScriptRun(SourceText source, bool withTrees, CancellationToken cancellationToken, int chunkBytes = ScriptRun.ChunkBytes)
    {
        private byte[] _bytes = source.Utf8; // copied before anything is blanked out
        private char[]? _maskedText; // the text the parser saw, as characters, once anything was blanked out
        private readonly List<Found> _metaCommands = [];
        private readonly List<SqlError> _otherErrors = [];

        /// <summary>A statement found: its character range, and its tree or error.</summary>
        internal readonly record struct Found(int Start, int End, StatementKind Kind, StatementTree? Tree, SqlError? Error);

        internal SourceText Source => source;

        /// <summary>The psql meta-commands of the whole text, in order (found before parsing).</summary>
        internal IReadOnlyList<Found> MetaCommands => _metaCommands;

        /// <summary>Problems of the whole text that belong to no statement (NUL characters).</summary>
        internal IReadOnlyList<SqlError> OtherErrors => _otherErrors;

        /// <summary>The byte ranges parsed one call each: <see cref="Chunks"/>, or the whole text.</summary>
        internal List<(int Start, int End)> Windows() => Chunks() ?? [(0, _bytes.Length)];

        /// <summary>
        /// psql meta-commands and NUL characters cannot reach the parser: blank them out (same byte
        /// length, so every offset stays right) and report them on their own.
        /// </summary>
        internal void MaskUnparseableText()
        {
            var text = source.Text;
            SqlLexer.Scan(text, 0, text.Length, (kind, start, end) =>
            {
                if (kind == SqlLexer.Segment.MetaCommand)
                {
                    Blank(start, end);
                    var end2 = SqlLexer.TrimEnd(text, start, end);
                    var command = text[start..end2].Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries)[0];
                    var error = SqlError.At(source, start,
                        $"psql meta-command {command} is not supported",
                        "Stepwise runs plain SQL over one connection, without psql. Write it as SQL, or remove it"
                        + (command is "\\c" or "\\connect" ? " (use one migration directory per database)." : "."));
                    _metaCommands.Add(new Found(start, end2, StatementKind.MetaCommand, null, error));
                }
                return true;
            });
            // One error for every NUL of the file (at the first): a file of NULs must not make one error per byte.
            var first = text.IndexOf('\0');
            var count = 0;
            for (var i = first; i >= 0; i = text.IndexOf('\0', i + 1))
            {
                Blank(i, i + 1);
                count++;
            }
            if (count > 0)
            {
                _otherErrors.Add(SqlError.At(source, first, count == 1 ? "NUL character (U+0000) in SQL text" : $"{count} NUL characters (U+0000) in SQL text, the first here",
                    count == 1 ? "PostgreSQL does not accept NUL characters; remove it." : "PostgreSQL does not accept NUL characters; remove them (is this a binary file?)."));
            }
        }

        private void Blank(int startChar, int endChar)
        {
            if (ReferenceEquals(_bytes, source.Utf8))
            {
                _bytes = (byte[])source.Utf8.Clone();
            }
            for (var b = source.CharToByte(startChar); b < source.CharToByte(endChar); b++)
            {
                _bytes[b] = (byte)' ';
            }
            // A character of several UTF-8 bytes becomes several spaces for the parser; one is enough here,
            // since this text only ever goes back to the parser for a single statement.
            _maskedText ??= source.Text.ToCharArray();
            for (var c = startChar; c < endChar; c++)
            {
                _maskedText[c] = ' ';
            }
        }

        /// <summary>Bytes of SQL parsed in one call, at least, when a script is parsed in pieces.</summary>
        internal const int ChunkBytes = 64 * 1024;

        /// <summary>
        /// Byte ranges of whole statements, about <see cref="ChunkBytes"/> each; null for a short script. A node's location in
        /// a piece's trees counts from the piece (Stepwise only compares locations within a statement).
        /// </summary>
        /// <remarks>
        /// The cuts are top-level semicolons found by <see cref="SqlLexer"/> outside parentheses (a rule's action list holds
        /// semicolons): no call into the parser, whose split of a whole long file alone held tens of MB of native memory at
        /// once. A semicolon also ends the statements of a SQL-standard function body (<c>BEGIN ATOMIC ... END</c>), which only
        /// the grammar knows: a script with the word ATOMIC in its code is cut where the grammar's split says (about a fifth of
        /// a parse), or parsed whole when that split fails on a syntax error (the parse then finds and cuts out the bad statement).
        /// </remarks>
        internal List<(int Start, int End)>? Chunks()
        {
            if (_bytes.Length < 2L * chunkBytes)
            {
                return null;
            }
            var text = source.Text;
            var cuts = new List<int>(); // byte offsets just past a cutting semicolon
            var depth = 0;
            var atomic = false;
            var last = 0;
            SqlLexer.Scan(text, 0, text.Length, (kind, from, to) =>
            {
                if (kind == SqlLexer.Segment.Code)
                {
                    var code = text.AsSpan(from, to - from);
                    depth += code.Count('(') - code.Count(')');
                    atomic |= code.Contains("atomic", StringComparison.OrdinalIgnoreCase);
                }
                else if (kind == SqlLexer.Segment.Semicolon && depth == 0 && source.CharToByte(to) is var at && at - last >= chunkBytes)
                {
                    cuts.Add(at);
                    last = at;
                }
                return !atomic;
            });
            return atomic ? GrammarChunks() : Pieces(cuts);
        }

        private List<(int Start, int End)> Pieces(List<int> cuts)
        {
            var chunks = new List<(int Start, int End)>();
            var start = 0;
            foreach (var cut in cuts.Where(c => c < _bytes.Length))
            {
                chunks.Add((start, cut));
                start = cut;
            }
            chunks.Add((start, _bytes.Length));
            return chunks;
        }

        /// <summary>Cuts where the grammar's split says statements start; null when it fails on a syntax error.</summary>
        private List<(int Start, int End)>? GrammarChunks()
        {
            var (statements, error) = PgQuery.Parse(_bytes, withTrees: false);
            if (error is not null)
            {
                return null;
            }
            var cuts = new List<int>();
            var start = 0;
            foreach (var statement in statements)
            {
                if (statement.Location - start >= chunkBytes)
                {
                    cuts.Add(statement.Location);
                    start = statement.Location;
                }
            }
            return Pieces(cuts);
        }

        /// <summary>
        /// Parses bytes [start, end). On a syntax error, the statement holding the error is cut out at
        /// the top-level semicolons around it, the text before it is parsed again, and parsing goes on
        /// after it, so one bad statement never hides the others. (libpg_query's scanner-based splitter
        /// is not used for this: it drops statements that hold no keyword and splits BEGIN ATOMIC bodies.)
        /// </summary>
        internal List<Found> ParseWindow(int start, int end)
        {
            var found = new List<Found>();
            ParseWindow(start, end, found);
            return found;
        }

        private void ParseWindow(int start, int end, List<Found> found)
        {
            var text = source.Text;
            while (start < end)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (statements, error) = PgQuery.Parse(_bytes.AsSpan(start, end - start), withTrees);
                if (error is null)
                {
                    foreach (var raw in statements)
                    {
                        var from = start + raw.Location;
                        var to = raw.Length == 0 ? end : from + raw.Length;
                        Add(found, source.ByteToChar(from), source.ByteToChar(to), StatementKind.Sql, raw.Tree, null);
                    }
                    return;
                }

                var windowStart = source.ByteToChar(start);
                var windowEnd = source.ByteToChar(end);
                if (error.Value.CursorPosition <= 0)
                {
                    // No position: the whole window is the bad statement.
                    Add(found, windowStart, windowEnd, StatementKind.Invalid, null, ErrorAt(SqlLexer.SkipTrivia(text, windowStart, windowEnd), error.Value));
                    return;
                }

                var errorAt = source.CodePointPositionToChar(windowStart, error.Value.CursorPosition);
                var boundaries = new List<int>(); // offsets just past each top-level semicolon
                var chunkEnd = windowEnd;
                SqlLexer.Scan(text, windowStart, windowEnd, (kind, from, to) =>
                {
                    if (kind != SqlLexer.Segment.Semicolon)
                    {
                        return true;
                    }
                    if (from < errorAt)
                    {
                        boundaries.Add(to);
                        return true;
                    }
                    chunkEnd = to;
                    return false;
                });

                // The bad statement starts after the last semicolon before the error, stepping back when
                // only trivia lies between it and the error (an error at the end of the input).
                var chunkStart = windowStart;
                for (var i = boundaries.Count - 1; i >= 0; i--)
                {
                    if (SqlLexer.HasCode(text, boundaries[i], chunkEnd))
                    {
                        chunkStart = boundaries[i];
                        break;
                    }
                }
                if (SqlLexer.HasCode(text, windowStart, chunkStart))
                {
                    ParseWindow(start, source.CharToByte(chunkStart), found);
                }
                var badEnd = text[chunkEnd - 1] == ';' ? chunkEnd - 1 : chunkEnd;
                Add(found, chunkStart, badEnd, StatementKind.Invalid, null, ErrorAt(errorAt, error.Value));
                start = source.CharToByte(chunkEnd);
            }
        }

        private SqlError ErrorAt(int charOffset, PgQuery.NativeError error) =>
            SqlError.At(source, charOffset, error.Message, error.Context ?? NewerSyntax.Hint(source.Text, charOffset, error.Message));

        private void Add(List<Found> found, int startChar, int endChar, StatementKind kind, StatementTree? tree, SqlError? error)
        {
            var text = source.Text;
            var first = SqlLexer.SkipTrivia(text, startChar, endChar);
            var last = SqlLexer.TrimEnd(text, first, endChar);
            if (first >= last && kind == StatementKind.Sql)
            {
                return;
            }
            found.Add(new Found(first, Math.Max(first, last), kind, tree, error));
        }

        /// <summary>
        /// Statements of <paramref name="found"/> in source order, numbered on from <paramref name="index"/>; of two that start
        /// at the same place (a statement after a meta-command starts where the command does), the one given first comes first.
        /// </summary>
        internal List<SqlStatement> Statements(IEnumerable<Found> found, ref int index)
        {
            var statements = new List<SqlStatement>();
            foreach (var f in found.OrderBy(f => f.Start))
            {
                var text = source.Text[f.Start..f.End];
                // Most scripts have nothing blanked out: the parser's text is the statement's own.
                statements.Add(new SqlStatement(index++, f.Kind, source.Span(f.Start, f.End), text, f.Tree, f.Error)
                {
                    ParserText = _maskedText is null ? text : new string(_maskedText, f.Start, f.End - f.Start),
                });
            }
            return statements;
        }
    }
}
