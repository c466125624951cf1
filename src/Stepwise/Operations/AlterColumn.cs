using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary>
/// <c>alter_column</c> for the changes that need no new column: nullability (with <see cref="Up"/> to fill
/// NULLs), check, foreign key, unique, default, comment. Type changes and renames are refused until
/// versioned schemas exist.
/// </summary>
/// <param name="Nullable">Null when unchanged.</param>
/// <param name="Default">Set when the file has a <c>default</c> field; <see cref="DefaultValue"/> null then drops the default.</param>
/// <param name="Comment">Set when the file has a <c>comment</c> field; <see cref="CommentValue"/> null then removes it.</param>
public sealed record AlterColumn(string Table, string Column, bool? Nullable = null, CheckConstraint? Check = null, ForeignKeyReference? References = null,
    UniqueConstraint? Unique = null, bool Default = false, string? DefaultValue = null, bool Comment = false, string? CommentValue = null, string? Up = null, bool KeepFillTrigger = false) : Operation
{
    /// <inheritdoc />
    public override string Kind => "alter_column";

    /// <summary>
    /// NOT NULL: a fill trigger and backfill from <see cref="Up"/> (when given), a NOT VALID check validated at
    /// start, <c>SET NOT NULL</c> at complete. Nullable: <c>DROP NOT NULL</c> at start (old code is unaffected), put
    /// back on rollback through a validated check. Check and foreign key: NOT VALID, then validated. Unique: an
    /// index built concurrently, the constraint attached at complete. Default and comment: set at start,
    /// the previous ones restored on rollback.
    /// </summary>
    public override void Plan(PlanBuilder plan)
    {
        var table = plan.RequireTable(Table, Position);
        var current = PlanBuilder.RequireColumn(table, Column, Position);
        var name = Quote.Ident(table.Schema, table.Name);
        var column = Quote.Ident(Column);
        var target = $"{table.QualifiedName}.{Column}";
        var validations = new List<Step>();
        if (Nullable == false && !current.NotNull)
        {
            if (Up is not null)
            {
                ColumnRecipes.FillTrigger(plan, table, Column, Up, KeepFillTrigger);
            }
            validations.Add(ColumnRecipes.NotNull(plan, table, Column, undo: true));
        }
        if (Check is { } check)
        {
            validations.Add(ColumnRecipes.NotValid(plan, table, check.Name, ColumnRecipes.Check(check), undo: true));
            if (Up is not null && Nullable != false)
            {
                plan.Start(Steps.Backfill($"fix the rows of {table.QualifiedName} that break {check.Name}",
                    new BackfillSpec(table.Schema, table.Name, [new BackfillSet(Column, Up)], $"NOT ({check.Constraint})", PlanBuilder.KeyOf(table))));
            }
        }
        if (References is { } fk)
        {
            validations.Add(ColumnRecipes.NotValid(plan, table, fk.Name, ColumnRecipes.ForeignKey(Column, fk), undo: true));
        }
        if (Nullable == false && !current.NotNull)
        {
            if (Up is not null)
            {
                ColumnRecipes.Backfill(plan, table, Column, Up);
            }
            ColumnRecipes.NoNulls(plan, table, Column);
        }
        foreach (var validation in validations)
        {
            plan.Start(validation);
        }
        if (Nullable == true && current.NotNull)
        {
            plan.Start(Steps.Sql($"{target} DROP NOT NULL", $"ALTER TABLE {name} ALTER COLUMN {column} DROP NOT NULL"));
            // Putting NOT NULL back without a long exclusive scan: the same validated-check recipe, run by rollback (newest first).
            var (add, validate, set, drop) = ColumnRecipes.NotNullSteps(table, Column);
            plan.Undo(drop);
            plan.Undo(set);
            plan.Undo(validate);
            plan.Undo(add);
        }
        if (Unique is { } unique)
        {
            ColumnRecipes.Unique(plan, table, unique.Name, [Column], attachAtComplete: true);
        }
        if (Default)
        {
            plan.Start(Steps.Sql($"default of {target}", $"ALTER TABLE {name} ALTER COLUMN {column} {(DefaultValue is null ? "DROP DEFAULT" : $"SET DEFAULT {DefaultValue}")}"),
                Steps.Sql($"previous default of {target}", $"ALTER TABLE {name} ALTER COLUMN {column} {(current.Default is null ? "DROP DEFAULT" : $"SET DEFAULT {current.Default}")}"));
        }
        if (Comment)
        {
            plan.Start(Steps.Sql($"comment on {target}", $"COMMENT ON COLUMN {name}.{column} IS {(CommentValue is null ? "NULL" : Quote.Literal(CommentValue))}"),
                Steps.Sql($"previous comment on {target}", $"COMMENT ON COLUMN {name}.{column} IS {(current.Comment is null ? "NULL" : Quote.Literal(current.Comment))}"));
        }
    }
}

/// <summary>A unique constraint added by <c>alter_column</c> (pgroll's <c>unique: {name}</c>).</summary>
public sealed record UniqueConstraint(string Name);
