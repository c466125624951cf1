using YamlDotNet.RepresentationModel;

namespace Stepwise.Operations;

/// <summary><c>sql</c>: statements run at start (<see cref="Up"/>), undone by <see cref="Down"/> on rollback, or run at complete (pgroll's <c>onComplete</c>, or a separate <see cref="Complete"/>).</summary>
public sealed record RawSql(string Up, string? Down = null, bool OnComplete = false, string? Complete = null) : Operation, IOperationFormat
{
    static OperationFormat IOperationFormat.Format { get; } = new("sql", ["up", "down", "onComplete", "complete"], f =>
    {
        var up = f.Sql("up", SqlFragment.Statements, required: true);
        var down = f.Value("down") is YamlScalarNode { Value: var d } && string.IsNullOrWhiteSpace(d) ? null : f.Sql("down", SqlFragment.Statements);
        var onComplete = f.Bool("onComplete") ?? false;
        var complete = f.Sql("complete", SqlFragment.Statements);
        if (onComplete && down is not null)
        {
            f.Context.Error(f.Key("down")!, "wrong-value", "sql.down cannot be used with onComplete: true (nothing runs at start, so there is nothing to undo)",
                "remove down, or run up at start (remove onComplete)");
        }
        if (onComplete && complete is not null)
        {
            f.Context.Error(f.Key("complete")!, "wrong-value", "sql.complete cannot be used with onComplete: true (up already runs at complete)",
                "put the statements in up, or remove onComplete");
        }
        return up is null ? null : new RawSql(up, down, onComplete, complete);
    });

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
