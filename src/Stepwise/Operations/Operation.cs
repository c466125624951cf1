namespace Stepwise.Operations;

/// <summary>Where something was written in an operation file (1-based line and column).</summary>
public readonly record struct FilePosition(int Line, int Column);

/// <summary>
/// One declarative operation of an operation migration (<c>.yaml</c>/<c>.json</c>), named as pgroll names it
/// (<c>add_column</c>, <c>create_index</c>, ...). Each kind is one file in this folder and turns itself into a
/// plan of steps: start (expand), complete (contract) and rollback (undo start).
/// </summary>
public abstract record Operation
{
    /// <summary>The operation's name in the file: <c>add_column</c>, <c>create_index</c>, ... (from its <see cref="OperationFormat"/>).</summary>
    public virtual string Kind => OperationFormat.Of(GetType()).Name;

    /// <summary>Where the operation starts in the file.</summary>
    public FilePosition Position { get; init; }

    /// <summary>Adds this operation's start, complete and rollback steps to <paramref name="plan"/>.</summary>
    /// <exception cref="PlanningException">The operation does not fit the schema, or is not supported yet.</exception>
    public abstract void Plan(PlanBuilder plan);
}

/// <summary>An operation migration file: its optional name and its operations, in order (never empty).</summary>
public sealed record OperationFile(string? Name, IReadOnlyList<Operation> Operations)
{
    /// <summary>pgroll's <c>version_schema</c>: the name of the schema of views the migration's version gets, when set (see <see cref="VersionSchemas"/>).</summary>
    public string? VersionSchema { get; init; }
}
