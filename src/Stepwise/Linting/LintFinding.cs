using Stepwise.Sql;

namespace Stepwise.Linting;

/// <summary>One finding: which rule, how bad, where, what, and the fix.</summary>
public sealed record LintFinding
{
    /// <summary>The rule's id (or <c>syntax-error</c>, <c>bad-ignore</c>).</summary>
    public required string RuleId { get; init; }

    /// <summary>The severity after configuration and table sizes.</summary>
    public required LintSeverity Severity { get; init; }

    /// <summary>The file.</summary>
    public required string File { get; init; }

    /// <summary>1-based line.</summary>
    public required int Line { get; init; }

    /// <summary>1-based column.</summary>
    public required int Column { get; init; }

    /// <summary>Last line of the statement.</summary>
    public int EndLine { get; init; }

    /// <summary>What is wrong, naming the table and the lock.</summary>
    public required string Message { get; init; }

    /// <summary>The safe alternative (words, then a short SQL example), when there is one.</summary>
    public string? Fix { get; init; }

    /// <summary>The source line the finding points at, as shown (bounded, printable, with a caret), when there is one.</summary>
    public SourceExcerpt? Excerpt { get; init; }

    /// <summary>The statement's text.</summary>
    public string Statement { get; init; } = "";
}
