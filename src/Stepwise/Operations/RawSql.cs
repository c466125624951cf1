namespace Stepwise.Operations;

/// <summary><c>sql</c>: statements run at start (<see cref="Up"/>), undone by <see cref="Down"/> on rollback, or run at complete (pgroll's <c>onComplete</c>, or a separate <see cref="Complete"/>).</summary>
public sealed record RawSql(string Up, string? Down = null, bool OnComplete = false, string? Complete = null) : Operation
{
    /// <inheritdoc />
    public override string Kind => "sql";
}
