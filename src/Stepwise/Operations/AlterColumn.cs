using Stepwise.Planning;
using Stepwise.Sql;
using YamlDotNet.RepresentationModel;

namespace Stepwise.Operations;

/// <summary>
/// <c>alter_column</c>: in place where old and new code can share the column (nullability with <see cref="Up"/> to
/// fill NULLs, check, foreign key, unique, default, comment); a rename (<see cref="Name"/>) through the new version's
/// view until complete; a type change (<see cref="Type"/>) through a copy of the column (<see cref="ColumnCopy"/>).
/// </summary>
/// <param name="Nullable">Null when unchanged.</param>
/// <param name="Default">Set when the file has a <c>default</c> field; <see cref="DefaultValue"/> null then drops the default.</param>
/// <param name="Comment">Set when the file has a <c>comment</c> field; <see cref="CommentValue"/> null then removes it.</param>
/// <param name="Type">The new type: the column is copied (new and old versions each see their own type until complete).</param>
/// <param name="Name">The new name: the new version sees it at once, the column takes it at complete.</param>
/// <param name="Down">With <see cref="Type"/>: the old column's value computed from the new one, for rows the new version writes (default: a cast).</param>
public sealed record AlterColumn(string Table, string Column, bool? Nullable = null, CheckConstraint? Check = null, ForeignKeyReference? References = null,
    UniqueConstraint? Unique = null, bool Default = false, string? DefaultValue = null, bool Comment = false, string? CommentValue = null, string? Up = null, bool KeepFillTrigger = false,
    string? Type = null, string? Name = null, string? Down = null)
    : Operation, IOperationFormat
{
    static OperationFormat IOperationFormat.Format { get; } = new("alter_column",
        ["table", "column", "nullable", "check", "references", "unique", "default", "comment", "up", "down", "type", "name", "keep_fill_trigger"], Read);

    private static AlterColumn? Read(YamlFields f)
    {
        var table = f.String("table", required: true);
        var column = f.String("column", required: true);
        var type = f.Has("type") ? f.TypeName("type") : null;
        var name = f.String("name");
        var nullable = f.Bool("nullable");
        var check = CheckConstraint.Read(f, "check");
        var references = ForeignKeyReference.Read(f, "references");
        var unique = f.Object("unique", ["name"]) is { } u && u.String("name", required: true) is { } uniqueName ? new UniqueConstraint(uniqueName) : null;
        var defaultValue = f.NullableString("default", out var hasDefault);
        if (defaultValue is not null)
        {
            f.Context.CheckSql((YamlScalarNode)f.Value("default")!, defaultValue, SqlFragment.Expression, "alter_column.default");
        }
        var comment = f.NullableString("comment", out var hasComment);
        var up = f.Sql("up", SqlFragment.DataExpression);
        string? down = null;
        if (f.Has("type"))
        {
            down = f.Sql("down", SqlFragment.DataExpression);
        }
        else
        {
            f.Ignored("down", "without a type change Stepwise changes the column in place, so there is no new column to copy back from");
        }
        if (!f.Has("type") && !f.Has("name") && !f.Has("nullable") && !f.Has("check") && !f.Has("references") && !f.Has("unique") && !hasDefault && !hasComment)
        {
            f.Context.Error(f.Node, "missing-field", "alter_column changes nothing",
                "set one of type, name, nullable, check, references, unique, default or comment");
        }
        if (up is not null && nullable != false && check is null && !f.Has("type"))
        {
            f.Context.Error(f.Key("up")!, "wrong-value", "alter_column.up fills NULLs (with nullable: false), rewrites the rows a new check would reject, or converts a column to a new type; this alter_column has none of these",
                "use up with type, nullable: false or check; to change data, use a backfill operation");
        }
        return table is null || column is null
            ? null
            : new AlterColumn(table, column, nullable, check, references, unique, hasDefault, defaultValue, hasComment, comment, up, f.Bool("keep_fill_trigger") ?? false,
                string.IsNullOrWhiteSpace(type) ? null : type, string.IsNullOrEmpty(name) || name == column ? null : name, string.IsNullOrWhiteSpace(down) ? null : down);
    }

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
        if (Name is not null)
        {
            RenameColumn.Rename(plan, table, Column, Name, Position);
        }
        if (Type is not null)
        {
            ColumnCopy.Plan(plan, this, table, current);
            return;
        }
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
