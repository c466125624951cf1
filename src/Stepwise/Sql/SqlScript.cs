namespace Stepwise.Sql;

/// <summary>A script split into statements, each with its exact place in the text.</summary>
public sealed class SqlScript
{
    internal SqlScript(SourceText source, IReadOnlyList<SqlStatement> statements, IReadOnlyList<SqlError> otherErrors)
    {
        Source = source;
        Statements = statements;
        Errors = [.. statements.Select(s => s.Error).OfType<SqlError>().Concat(otherErrors).OrderBy(e => e.Offset)];
    }

    /// <summary>The text and its line/offset maps.</summary>
    public SourceText Source { get; }

    /// <summary>The statements in source order, including ones that failed to parse and psql meta-commands.</summary>
    public IReadOnlyList<SqlStatement> Statements { get; }

    /// <summary>Every problem found, in source order.</summary>
    public IReadOnlyList<SqlError> Errors { get; }

    /// <summary>True when the script parsed without any problem.</summary>
    public bool IsValid => Errors.Count == 0;
}

/// <summary>The three kinds of thing a script holds.</summary>
public enum StatementKind
{
    /// <summary>A statement PostgreSQL's parser accepted.</summary>
    Sql,

    /// <summary>Text the parser rejected; <see cref="SqlStatement.Error"/> says why.</summary>
    Invalid,

    /// <summary>A psql meta-command (<c>\connect</c>, <c>\set</c>, ...), which Stepwise does not run.</summary>
    MetaCommand,
}

/// <summary>One statement of a script.</summary>
public sealed class SqlStatement
{
    internal SqlStatement(int index, StatementKind kind, SourceSpan span, string text, StatementTree? tree, SqlError? error)
    {
        Index = index;
        Kind = kind;
        Span = span;
        Text = text;
        Tree = tree;
        Error = error;
    }

    /// <summary>0-based position among the script's statements.</summary>
    public int Index { get; }

    /// <summary>Whether this is SQL, invalid text or a psql meta-command.</summary>
    public StatementKind Kind { get; }

    /// <summary>Where the statement is: from its first token (leading comments excluded) to its end, without the semicolon.</summary>
    public SourceSpan Span { get; }

    /// <summary>The statement's text (the span).</summary>
    public string Text { get; }

    /// <summary>The text as the parser saw it: psql meta-commands and NUL characters blanked out.</summary>
    internal string ParserText { get; init; } = string.Empty;

    /// <summary>The parse tree, when the script was parsed with trees and the statement is valid.</summary>
    public StatementTree? Tree { get; }

    /// <summary>Why the statement cannot be used, or null.</summary>
    public SqlError? Error { get; }

    /// <summary>A command tag (<c>CREATE INDEX</c>), the meta-command (<c>\connect</c>), or <c>INVALID</c>.</summary>
    public string CommandTag => Kind switch
    {
        StatementKind.MetaCommand => Text.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries)[0],
        StatementKind.Invalid => "INVALID",
        _ => Tree?.CommandTag ?? "SQL",
    };

    /// <inheritdoc />
    public override string ToString() => $"{Span} {CommandTag}";
}
