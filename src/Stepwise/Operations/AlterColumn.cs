using Stepwise.Planning;
using Stepwise.Sql;
using YamlDotNet.RepresentationModel;

namespace Stepwise.Operations;

/// <summary>
/// <c>alter_column</c>: in place where old and new code can share the column (nullability, check, foreign key, unique,
/// default, comment; <see cref="Up"/> gives its value to the rows the new constraints reject, <see cref="Down"/> to the
/// NULLs a rollback of <c>nullable: true</c> meets); a rename (<see cref="Name"/>) through the new version's view until
/// complete; a type change (<see cref="Type"/>) through a copy of the column (<see cref="ColumnCopy"/>).
/// </summary>
/// <param name="Nullable">Null when unchanged.</param>
/// <param name="Default">Set when the file has a <c>default</c> field; <see cref="DefaultValue"/> null then drops the default.</param>
/// <param name="Comment">Set when the file has a <c>comment</c> field; <see cref="CommentValue"/> null then removes it.</param>
/// <param name="Type">The new type: the column is copied (new and old versions each see their own type until complete).</param>
/// <param name="Name">The new name: the new version sees it at once, the column takes it at complete.</param>
public sealed record AlterColumn(string Table, string Column, bool? Nullable = null, CheckConstraint? Check = null, ForeignKeyReference? References = null,
    UniqueConstraint? Unique = null, bool Default = false, string? DefaultValue = null, bool Comment = false, string? CommentValue = null, string? Up = null, bool KeepFillTrigger = false,
    string? Type = null, string? Name = null)
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
        var down = f.Sql("down", SqlFragment.DataExpression);
        if (!f.Has("type") && !f.Has("name") && !f.Has("nullable") && !f.Has("check") && !f.Has("references") && !f.Has("unique") && !hasDefault && !hasComment)
        {
            f.Context.Error(f.Node, "missing-field", "alter_column changes nothing",
                "set one of type, name, nullable, check, references, unique, default or comment");
        }
        // In place, old and new code share the column: up rewrites only the rows the new constraint would reject, down only
        // the rows rollback's NOT NULL would reject; an identity (up: column) or any other up/down means nothing here.
        if (column is not null && !f.Has("type"))
        {
            var fixesRows = nullable == false || check is not null || references is not null || unique is not null;
            up = InPlace(f, "up", up, column, fixesRows,
                "with nullable true, default or comment the column keeps its values, which old and new code share; to change them, use a backfill operation");
            down = InPlace(f, "down", down, column, nullable == true, null);
        }
        return table is null || column is null
            ? null
            : new AlterColumn(table, column, nullable, check, references, unique, hasDefault, defaultValue, hasComment, comment, up, f.Bool("keep_fill_trigger") ?? false,
                string.IsNullOrWhiteSpace(type) ? null : type, string.IsNullOrEmpty(name) || name == column ? null : name)
            {
                Down = down,
            };
    }

    /// <summary>
    /// An in-place change's <c>up</c> or <c>down</c>: null when it is the column itself (pgroll's identity) or means nothing for
    /// this change (<paramref name="used"/> false: a warning, unless <paramref name="why"/> is null because it is only unneeded).
    /// </summary>
    private static string? InPlace(YamlFields f, string field, string? expression, string column, bool used, string? why)
    {
        if (expression is null || YamlFields.BareColumn(expression) == column)
        {
            return null;
        }
        if (!used && why is not null)
        {
            f.Ignored(field, why);
        }
        return used ? expression : null;
    }

    /// <summary>
    /// With <see cref="Type"/>: the old column's value computed from the new one, for rows the new version writes (default: a
    /// cast). With <see cref="Nullable"/> true: the expression rollback gives the rows new code wrote NULL, before NOT NULL is
    /// put back (pgroll's <c>down</c>). Null otherwise: in place, no other change needs one.
    /// </summary>
    public string? Down { get; init; }

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
        }
        if (References is { } fk)
        {
            validations.Add(ColumnRecipes.NotValid(plan, table, fk.Name, ColumnRecipes.ForeignKey(Column, fk), undo: true));
        }
        if (Up is not null && RejectedRows(table, current) is { Count: > 0 } rejected)
        {
            // One pass over the rows the new constraints would reject (NULL, failing the check, without a referenced row, a
            // second copy of a value), each given up's value; the rows that already fit keep theirs, which old code shares.
            // When only NULLs are rejected, the fill trigger gives every row written meanwhile its value: the heap may be walked.
            var onlyNulls = rejected.Count == 1 && Nullable == false && !current.NotNull;
            plan.Start(Steps.Backfill($"fix the rows of {table.QualifiedName} that {Column}'s new constraints reject",
                new BackfillSpec(table.Schema, table.Name, [new BackfillSet(Column, Up)], string.Join(" OR ", rejected.Select(r => rejected.Count == 1 ? r : $"({r})")),
                    PlanBuilder.KeyOf(table), FilledByTrigger: onlyNulls)));
        }
        if (Nullable == false && !current.NotNull)
        {
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
            if (Down is not null)
            {
                // After the NOT VALID check (no new NULL gets in), before its validation: the NULLs new code wrote get down's value.
                plan.Undo(Steps.Backfill($"give the rows of {table.QualifiedName} without {Column} a value again (down)",
                    new BackfillSpec(table.Schema, table.Name, [new BackfillSet(Column, Down)], $"{column} IS NULL", PlanBuilder.KeyOf(table))));
            }
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

    /// <summary>What each new constraint rejects, as conditions on the row the backfill's UPDATE is at (its table, unaliased).</summary>
    private List<string> RejectedRows(Catalog.TableModel table, Catalog.ColumnModel current)
    {
        var self = Quote.Ident(table.Schema, table.Name);
        var column = Quote.Ident(Column);
        var rejected = new List<string>();
        if (Nullable == false && !current.NotNull)
        {
            rejected.Add($"{column} IS NULL");
        }
        if (Check is { } check)
        {
            rejected.Add($"NOT ({check.Constraint})");
        }
        if (References is { } fk)
        {
            rejected.Add($"{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {PlanBuilder.Qualified(fk.Table)} _stepwise_referenced WHERE _stepwise_referenced.{Quote.Ident(fk.Column)} = {self}.{column})");
        }
        if (Unique is not null)
        {
            // Every copy of a value after its first (in the heap): the first keeps it.
            rejected.Add($"EXISTS (SELECT 1 FROM {self} _stepwise_other WHERE _stepwise_other.{column} = {self}.{column} AND _stepwise_other.ctid < {self}.ctid)");
        }
        return rejected;
    }
}

/// <summary>A unique constraint added by <c>alter_column</c> (pgroll's <c>unique: {name}</c>).</summary>
public sealed record UniqueConstraint(string Name);
