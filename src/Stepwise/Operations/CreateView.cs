using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary>
/// <c>create_view</c> and <c>replace_view</c> (Stepwise additions): a view from a query; replacing keeps the
/// previous definition so that rollback restores it.
/// </summary>
/// <param name="Replace">True for <c>replace_view</c>.</param>
public sealed record CreateView(string Name, string Definition, bool Replace = false) : Operation, IOperationFormat
{
    private const string ReplaceName = "replace_view";

    static OperationFormat IOperationFormat.Format { get; } = new(["create_view", ReplaceName], ["name", "definition"], (f, kind) =>
    {
        var name = f.String("name", required: true);
        var definition = f.Sql("definition", SqlFragment.Query, required: true);
        return name is null || definition is null ? null : new CreateView(name, definition, kind == ReplaceName);
    });

    /// <inheritdoc />
    public override string Kind => Replace ? ReplaceName : base.Kind;

    /// <summary>Start: the view created (or replaced); rollback: dropped, and a replaced one created again with its previous definition with its comment.</summary>
    public override void Plan(PlanBuilder plan)
    {
        var (schema, name) = PlanBuilder.Split(Name);
        var view = Quote.Ident(schema, name);
        var existing = plan.Schema.Views.FirstOrDefault(v => v.Schema == schema && v.Name == name && !v.Materialized);
        if (Replace && existing is null)
        {
            throw new PlanningException($"view {schema}.{name} does not exist, so it cannot be replaced", Position, "use create_view");
        }
        if (!Replace && existing is not null)
        {
            throw new PlanningException($"view {schema}.{name} already exists", Position, "use replace_view to change its definition");
        }
        plan.Start(Steps.Sql($"{(Replace ? "replace" : "create")} view {schema}.{name}", $"CREATE OR REPLACE VIEW {view} AS {Definition}"));
        // Rollback runs undo steps newest first: the view is dropped, then (for a replaced one) created again as it was,
        // which also works when the new definition added or reordered columns.
        if (existing?.Comment is { } comment)
        {
            plan.Undo(Steps.Sql($"previous comment on view {schema}.{name}", $"COMMENT ON VIEW {view} IS {Quote.Literal(comment)}"));
        }
        if (existing is not null)
        {
            plan.Undo(Steps.Sql($"previous definition of view {schema}.{name}", $"CREATE VIEW {view} AS {existing.Definition.TrimEnd().TrimEnd(';')}"));
        }
        plan.Undo(Steps.Sql($"drop view {schema}.{name}", $"DROP VIEW IF EXISTS {view}"));
    }
}
