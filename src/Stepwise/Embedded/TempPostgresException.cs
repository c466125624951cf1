namespace Stepwise.Embedded;

/// <summary>
/// A throwaway PostgreSQL server could not be provided: binaries missing, <c>initdb</c> failed, the server did
/// not start in time, and so on. The message says what happened and what to do; when the server itself
/// failed it ends with the last lines of the server's log.
/// </summary>
public sealed class TempPostgresException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TempPostgresException(string message, Exception? innerException = null) : base(message, innerException)
    {
    }
}
