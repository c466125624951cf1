using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Execution;

/// <summary>
/// Stepwise refused to start: the directory has errors, history and files disagree, or a rule
/// (out of order, no down section) forbids it. Nothing was changed.
/// </summary>
public sealed class MigrationRefusedException : Exception
{
    /// <summary>Refused for one reason.</summary>
    public MigrationRefusedException(string message) : base(message) => Problems = [];

    /// <summary>Refused for the listed problems.</summary>
    public MigrationRefusedException(string message, IReadOnlyList<MigrationProblem> problems) : base(message) => Problems = problems;

    /// <summary>Each problem with its file and position.</summary>
    public IReadOnlyList<MigrationProblem> Problems { get; }
}

/// <summary>
/// A migration failed while running. The database and history are consistent: a transactional
/// migration was rolled back; a statement-by-statement one records how far it got, and the next
/// apply resumes there.
/// </summary>
public sealed class MigrationFailedException : Exception
{
    internal MigrationFailedException(string message, string file, int line, int column, string? statement, string? sqlState,
        string? detail, string? hint, string nextStep, Exception? inner) : base(message, inner)
    {
        File = file;
        Line = line;
        Column = column;
        Statement = statement;
        SqlState = sqlState;
        Detail = detail;
        Hint = hint;
        NextStep = nextStep;
    }

    /// <summary>The migration file.</summary>
    public string File { get; }

    /// <summary>Line of the failing statement (or of the error inside it, when PostgreSQL gave a position).</summary>
    public int Line { get; }

    /// <summary>Column, as for <see cref="Line"/>.</summary>
    public int Column { get; }

    /// <summary>The failing statement's text.</summary>
    public string? Statement { get; }

    /// <summary>PostgreSQL's SQLSTATE, when the server reported the error.</summary>
    public string? SqlState { get; }

    /// <summary>PostgreSQL's detail line.</summary>
    public string? Detail { get; }

    /// <summary>PostgreSQL's hint.</summary>
    public string? Hint { get; }

    /// <summary>What to do next, given how far the migration got.</summary>
    public string NextStep { get; }
}

/// <summary>Another runner holds the migration lock and the caller asked not to wait.</summary>
public sealed class MigrationLockBusyException(string message) : Exception(message);
