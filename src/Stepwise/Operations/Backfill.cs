using Stepwise.Planning;

namespace Stepwise.Operations;

/// <summary>
/// <c>backfill</c> (a Stepwise addition): a batched data migration, <c>UPDATE table SET column = expression
/// [WHERE where]</c> in keyset batches, resumable after a crash.
/// </summary>
/// <param name="Set">Column → SQL expression over the row's columns.</param>
public sealed record Backfill(string Table, IReadOnlyDictionary<string, string> Set, string? Where = null) : Operation
{
    /// <inheritdoc />
    public override string Kind => "backfill";

    /// <summary>Start: the batched update. Rollback cannot undo data: nothing.</summary>
    public override void Plan(PlanBuilder plan)
    {
        var table = plan.RequireTable(Table, Position);
        foreach (var column in Set.Keys)
        {
            PlanBuilder.RequireColumn(table, column, Position);
        }
        plan.Start(Steps.Backfill($"backfill {table.QualifiedName} ({string.Join(", ", Set.Keys)})",
            new BackfillSpec(table.Schema, table.Name, [.. Set.Select(kv => new BackfillSet(kv.Key, kv.Value))], Where, PlanBuilder.KeyOf(table))));
    }
}
