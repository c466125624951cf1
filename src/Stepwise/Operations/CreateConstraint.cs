using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary>
/// <c>create_constraint</c>: a check, foreign key, unique or primary key constraint on existing rows, added without a long
/// lock; and (a Stepwise addition) an exclusion constraint, which PostgreSQL can only build under a lock that blocks the table.
/// </summary>
/// <param name="Type"><c>check</c>, <c>foreign_key</c>, <c>unique</c>, <c>primary_key</c> or <c>exclude</c>.</param>
/// <param name="Check">For a check: the expression.</param>
/// <param name="References">For a foreign key: the referenced table and columns.</param>
/// <param name="Up">pgroll's per-column <c>up</c> expressions (to fix rows that break the constraint before it is validated).</param>
/// <param name="Exclude">For an exclusion constraint: its index method, elements and predicate.</param>
/// <param name="IndexParameters">pgroll's <c>index_parameters</c> of a unique, primary key or exclusion constraint's index.</param>
public sealed record CreateConstraint(string Table, string Name, string Type, IReadOnlyList<string> Columns, string? Check = null, ForeignKeyTarget? References = null,
    IReadOnlyDictionary<string, string>? Up = null, ExclusionConstraint? Exclude = null, IndexParameters? IndexParameters = null) : Operation, IOperationFormat
{
    static OperationFormat IOperationFormat.Format { get; } = new("create_constraint",
        ["table", "name", "type", "columns", "check", "references", "up", "down", "no_inherit", "index_parameters", "exclude"], f =>
    {
        var table = f.String("table", required: true);
        var name = f.String("name", required: true);
        var type = f.Enum("type", TableConstraint.Types, required: true);
        var columns = f.StringList("columns");
        var check = type == "check" ? f.Sql("check", SqlFragment.Expression, required: true) : f.String("check");
        var references = type == "foreign_key" ? ForeignKeyTarget.Read(f, required: true) : null;
        var up = f.StringMap("up", fragment: SqlFragment.DataExpression);
        f.IgnoredUnlessUnchanged("down", "Stepwise adds the constraint to the column in place, so there is no new column to copy back from");
        f.NotSupported("no_inherit", "NO INHERIT constraints are not planned by this version", "add it with an sql operation");
        var exclude = type == "exclude" ? ExclusionConstraint.Read(f) : null;
        var parameters = IndexParameters.Read(f);
        TableConstraint.Refuse(f, type);
        if (type is "unique" or "foreign_key" or "primary_key" && f.Value("columns") is null)
        {
            f.Missing("columns", $"a {type} constraint names its columns: columns: [a, b]");
        }
        return table is null || name is null || type is null
            ? null
            : new CreateConstraint(table, name, type, columns ?? [], check, references, up is { Count: > 0 } ? up : null, exclude, parameters);
    });

    /// <summary>
    /// Check and foreign key: rows are first fixed by <see cref="Up"/> (a batched backfill of the rows that break
    /// the check), then the constraint is added NOT VALID and validated. Unique and primary key: an index built
    /// concurrently and the constraint attached to it. Exclusion: added at once (PostgreSQL builds its index under ACCESS
    /// EXCLUSIVE: there is no NOT VALID or USING INDEX for it). Rollback drops it.
    /// </summary>
    public override void Plan(PlanBuilder plan)
    {
        var table = plan.RequireTable(Table, Position);
        foreach (var column in Columns)
        {
            PlanBuilder.RequireColumn(table, column, Position);
        }
        IndexParameters?.RequireColumns(table.Columns.Select(c => c.Name), table.QualifiedName, Position);
        if (table.Constraints.Any(k => k.Name == Name))
        {
            throw new PlanningException($"constraint {Name} already exists on {table.QualifiedName}", Position, "choose another name");
        }
        if (Up is { Count: > 0 } up && Type == "check")
        {
            plan.Start(Steps.Backfill($"fix the rows of {table.QualifiedName} that break {Name}",
                new BackfillSpec(table.Schema, table.Name, [.. up.Select(kv => new BackfillSet(kv.Key, kv.Value))], $"NOT ({Check})", PlanBuilder.KeyOf(table))));
        }
        switch (Type)
        {
            case "unique" or "primary_key":
                if (Type == "primary_key")
                {
                    // PostgreSQL sets a primary key's columns NOT NULL; rollback gives back the nullability they had.
                    foreach (var column in Columns.Where(c => !table.Columns.First(x => x.Name == c).NotNull))
                    {
                        plan.Undo(Steps.Sql($"{table.QualifiedName}.{column} nullable again", $"ALTER TABLE {Quote.Ident(table.Schema, table.Name)} ALTER COLUMN {Quote.Ident(column)} DROP NOT NULL"));
                    }
                }
                ColumnRecipes.Unique(plan, table, Name, Columns, attachAtComplete: false, primaryKey: Type == "primary_key", IndexParameters);
                break;
            case "exclude":
                var name = Quote.Ident(table.Schema, table.Name);
                plan.Start(Steps.Sql($"exclusion constraint {Name} on {table.QualifiedName} (its index is built under ACCESS EXCLUSIVE)",
                        $"ALTER TABLE {name} ADD CONSTRAINT {Quote.Ident(Name)} {Exclude!.Definition(IndexParameters)}"),
                    Steps.Sql($"drop constraint {Name}", $"ALTER TABLE {name} DROP CONSTRAINT IF EXISTS {Quote.Ident(Name)}"));
                break;
            case "check":
                plan.Start(ColumnRecipes.NotValid(plan, table, Name, ColumnRecipes.Check(new CheckConstraint(Name, Check!)), undo: true));
                break;
            case "foreign_key":
                var fk = References!;
                plan.Start(ColumnRecipes.NotValid(plan, table, Name, ColumnRecipes.ForeignKey(Columns, fk.Table, fk.Columns, fk.OnDelete, fk.OnUpdate, fk.MatchType), undo: true));
                break;
            default:
                throw new PlanningException($"create_constraint cannot add a constraint of type {Type}", Position, "use check, foreign_key, unique, primary_key or exclude");
        }
    }
}
