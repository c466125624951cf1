using Stepwise.Planning;

namespace Stepwise.Operations;

/// <summary>
/// <c>backfill</c> (a Stepwise addition): a batched data migration, <c>UPDATE table SET column = expression
/// [WHERE where]</c> in keyset batches, resumable after a crash.
/// </summary>
/// <param name="Set">Column → SQL expression over the row's columns.</param>
public sealed record Backfill(string Table, IReadOnlyDictionary<string, string> Set, string? Where = null) : Operation, IOperationFormat
{
    static OperationFormat IOperationFormat.Format { get; } = new("backfill", ["table", "set", "where"], f =>
    {
        var table = f.String("table", required: true);
        var set = f.StringMap("set", required: true, fragment: SqlFragment.Expression);
        var where = f.Sql("where", SqlFragment.Expression);
        return table is null || set is null ? null : new Backfill(table, set, where);
    });

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
