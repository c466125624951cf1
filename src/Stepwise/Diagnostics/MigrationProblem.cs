using System.Text;

namespace Stepwise.Diagnostics;

/// <summary>How bad a problem is.</summary>
public enum Severity
{
    /// <summary>Worth knowing; nothing is refused.</summary>
    Warning,

    /// <summary>Stops every command that would act on the directory.</summary>
    Error,
}

/// <summary>
/// A problem with the migration directory or a file in it: where (file, line, column), what, and what
/// to do. <see cref="Code"/> is stable, for tests and tooling.
/// </summary>
public sealed record MigrationProblem(Severity Severity, string Code, string File, int Line, int Column, string Message, string? Hint = null)
{
    /// <summary><c>file:line:col: error: message</c>, then the hint.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(File);
        if (Line > 0)
        {
            sb.Append(':').Append(Line).Append(':').Append(Column);
        }
        sb.Append(": ").Append(Severity == Severity.Error ? "error" : "warning").Append(": ").Append(Message);
        if (Hint is not null)
        {
            sb.Append("\n    hint: ").Append(Hint);
        }
        return sb.ToString();
    }
}
