using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary>
/// <c>add_column</c>: a new column on an existing table. <see cref="Up"/> (an SQL expression over the row's
/// columns by bare name) fills existing rows through a batched backfill and rows written by code that does
/// not set the column through a fill trigger.
/// </summary>
public sealed record AddColumn(string Table, ColumnDefinition Column, string? Up, bool KeepFillTrigger = false) : Operation, IOperationFormat
{
    static OperationFormat IOperationFormat.Format { get; } = new("add_column", ["table", "column", "up", "keep_fill_trigger"], f =>
    {
        var table = f.String("table", required: true);
        var column = ColumnDefinition.Read(f, "column");
        var up = f.Sql("up", SqlFragment.DataExpression);
        var keep = f.Bool("keep_fill_trigger") ?? false;
        return table is null || column is null ? null : new AddColumn(table, column, up, keep);
    });

    /// <summary>
    /// Start: the column, nullable for now (a constant default stored once; any other default set for new rows
    /// and backfilled); a fill trigger that computes <see cref="Up"/> for rows written without the column; a
    /// NOT VALID <c>IS NOT NULL</c> check and check; the batched backfill; a count of rows still without a value;
    /// the NOT VALID foreign key (after the backfill, which it would slow down); the validations; a concurrent
    /// unique index. Complete: <c>SET NOT NULL</c> (no scan: the validated check proves it), the unique constraint
    /// on the index, and the helpers dropped. Rollback: the helpers, the index and the column dropped.
    /// </summary>
    public override void Plan(PlanBuilder plan)
    {
        var table = plan.RequireTable(Table, Position);
        var target = table.QualifiedName;
        var name = Quote.Ident(table.Schema, table.Name);
        var column = Quote.Ident(Column.Name);
        if (table.Columns.Any(c => c.Name == Column.Name))
        {
            throw new PlanningException($"column {target}.{Column.Name} already exists", Column.Position, "choose another name, or alter the existing column with alter_column");
        }
        if (Column.Generated is not null || Column.Identity is not null)
        {
            throw new PlanningException($"add_column cannot add a generated or identity column to {target} without rewriting it", Column.Position,
                "add a plain column with up: (filled by the backfill and the fill trigger) instead");
        }
        if (Column.Pk)
        {
            throw new PlanningException($"add_column cannot add a primary key column to {target}", Column.Position, "create the key with create_constraint on existing columns");
        }
        // With up, existing rows must read NULL until the backfill fills them: the default then applies to new rows only.
        var constantDefault = Up is null && Column.Default is { } d && Steps.IsConstant(d);
        var fill = Up ?? (Column.Default is not null && !constantDefault ? Column.Default : null);
        if (!Column.Nullable && fill is null && !constantDefault)
        {
            throw new PlanningException($"{target}.{Column.Name} is NOT NULL but has neither up nor default to fill the existing rows", Column.Position,
                "add up: (an expression over the row's columns) or a default");
        }
        var definition = $"{column} {Column.Type}{(constantDefault ? $" DEFAULT {Column.Default}" : "")}";
        plan.Start(Steps.Sql($"add column {target}.{Column.Name}{(Column.Nullable ? "" : " (nullable until complete)")}",
                $"ALTER TABLE {name} ADD COLUMN {definition}"),
            Steps.Sql($"drop column {target}.{Column.Name}", $"ALTER TABLE {name} DROP COLUMN IF EXISTS {column}"));
        if (Column.Default is not null && !constantDefault)
        {
            plan.Start(Steps.Sql($"default of {target}.{Column.Name} for new rows", $"ALTER TABLE {name} ALTER COLUMN {column} SET DEFAULT {Column.Default}"));
        }
        if (fill is not null)
        {
            ColumnRecipes.FillTrigger(plan, table, Column.Name, fill, KeepFillTrigger);
        }
        // The constraints go with the column on rollback: no undo steps of their own.
        var validations = new List<Step>();
        if (!Column.Nullable)
        {
            validations.Add(ColumnRecipes.NotNull(plan, table, Column.Name, undo: false));
        }
        if (Column.Check is { } check)
        {
            validations.Add(ColumnRecipes.NotValid(plan, table, check.Name, ColumnRecipes.Check(check), undo: false));
        }
        if (fill is not null)
        {
            ColumnRecipes.Backfill(plan, table, Column.Name, fill);
        }
        if (!Column.Nullable)
        {
            ColumnRecipes.NoNulls(plan, table, Column.Name);
        }
        if (Column.References is { } fk)
        {
            // Added after the backfill, not before: a foreign key checks every row an UPDATE changes, one lookup each,
            // which made the backfill about three times slower. Rows written meanwhile are checked by the validation.
            validations.Add(ColumnRecipes.NotValid(plan, table, fk.Name, ColumnRecipes.ForeignKey(Column.Name, fk), undo: false));
        }
        foreach (var validation in validations)
        {
            plan.Start(validation);
        }
        if (Column.Unique)
        {
            ColumnRecipes.Unique(plan, table, $"{table.Name}_{Column.Name}_key", [Column.Name], attachAtComplete: true);
        }
        if (Column.Comment is { } comment)
        {
            plan.Start(Steps.Sql($"comment on {target}.{Column.Name}", $"COMMENT ON COLUMN {name}.{column} IS {Quote.Literal(comment)}"));
        }
        plan.Added(table, new Catalog.ColumnModel(Column.Name, Column.Type, !Column.Nullable, Column.Default, null, null, null, Column.Comment));
    }
}
