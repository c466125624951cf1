namespace Stepwise.Operations;

/// <summary><c>sql</c>: statements run at start (<see cref="Up"/>), undone by <see cref="Down"/> on rollback, or run at complete (pgroll's <c>onComplete</c>, or a separate <see cref="Complete"/>).</summary>
public sealed record RawSql(string Up, string? Down = null, bool OnComplete = false, string? Complete = null) : Operation
{
    /// <inheritdoc />
    public override string Kind => "sql";

    /// <summary>Start: <see cref="Up"/> statement by statement (or at complete with <see cref="OnComplete"/>); rollback: <see cref="Down"/>; complete: <see cref="Complete"/>.</summary>
    public override void Plan(PlanBuilder plan)
    {
        foreach (var step in Steps.SqlText("sql", Up))
        {
            if (OnComplete)
            {
                plan.Complete(step);
            }
            else
            {
                plan.Start(step);
            }
        }
        if (Down is not null && !OnComplete)
        {
            // Rollback runs undo steps in reverse: add the down statements last-first so they run in their written order.
            foreach (var step in Steps.SqlText("sql down", Down).Reverse())
            {
                plan.Undo(step);
            }
        }
        if (Complete is not null)
        {
            foreach (var step in Steps.SqlText("sql complete", Complete))
            {
                plan.Complete(step);
            }
        }
    }
}
