namespace Stepwise.Hosting;

/// <summary>The application refused to start: its database is not ready for it, and the message says what fixes it.</summary>
public sealed class SchemaNotReadyException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SchemaNotReadyException(string message, IReadOnlyList<string> problems, Exception? innerException = null)
        : base(message, innerException) => Problems = problems;

    /// <summary>Creates the exception (serializers and tools).</summary>
    public SchemaNotReadyException()
        : this("the database is not ready for this application", [])
    {
    }

    /// <summary>Creates the exception (serializers and tools).</summary>
    public SchemaNotReadyException(string message)
        : this(message, [])
    {
    }

    /// <summary>Creates the exception around its cause.</summary>
    public SchemaNotReadyException(string message, Exception innerException)
        : base(message, innerException) => Problems = [];

    /// <summary>One line per problem, each naming the migration or column and what fixes it.</summary>
    public IReadOnlyList<string> Problems { get; }
}
