using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary>
/// <c>add_column</c>: a new column on an existing table. <see cref="Up"/> (an SQL expression over the row's
/// columns by bare name) fills existing rows through a batched backfill and rows written by code that does
/// not set the column through a fill trigger.
/// </summary>
public sealed record AddColumn(string Table, ColumnDefinition Column, string? Up) : Operation
{
    /// <inheritdoc />
    public override string Kind => "add_column";

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
        if (Column.Pk)
        {
            throw new PlanningException($"add_column cannot add a primary key column to {target}", Column.Position, "create the key with create_constraint on existing columns");
        }
        var constantDefault = Column.Default is { } d && Steps.IsConstant(d);
        var fill = Up ?? (Column.Default is not null && !constantDefault ? Column.Default : null);
        if (!Column.Nullable && fill is null && !constantDefault)
        {
            throw new PlanningException($"{target}.{Column.Name} is NOT NULL but has neither up nor default to fill the existing rows", Column.Position,
                "add up: (an expression over the row's columns) or a default");
        }
        var definition = $"{column} {Column.Type}{(constantDefault ? $" DEFAULT {Column.Default}" : "")}";
        plan.Start(Steps.Sql($"add column {target}.{Column.Name}{(Column.Nullable ? "" : " (nullable until complete)")}",
                $"ALTER TABLE {name} ADD COLUMN {definition}", LockLevel.AccessExclusive, target),
            Steps.Sql($"drop column {target}.{Column.Name}", $"ALTER TABLE {name} DROP COLUMN IF EXISTS {column}", LockLevel.AccessExclusive, target));
        if (Column.Default is not null && !constantDefault)
        {
            plan.Start(Steps.Sql($"default of {target}.{Column.Name} for new rows", $"ALTER TABLE {name} ALTER COLUMN {column} SET DEFAULT {Column.Default}", LockLevel.AccessExclusive, target));
        }
        var trigger = PlanBuilder.HelperName("fill", table.Name, Column.Name);
        if (fill is not null)
        {
            var function = Quote.Ident(table.Schema, trigger);
            var variables = string.Concat(table.Columns.Select(c => $"    {Quote.Ident(c.Name)} {c.Type} := NEW.{Quote.Ident(c.Name)};\n"));
            // Bare names in the expression mean the row's columns, as in the backfill's UPDATE; inside a subquery its own columns come first.
            plan.Start(Steps.Sql($"fill function for {target}.{Column.Name} (rows written without it)",
                    $"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $stepwise$\n#variable_conflict use_column\nDECLARE\n{variables}BEGIN\n    NEW.{column} := ({fill});\n    RETURN NEW;\nEND\n$stepwise$",
                    LockLevel.None, null),
                Steps.Sql($"drop fill function for {target}.{Column.Name}", $"DROP FUNCTION IF EXISTS {function}()", LockLevel.None, null));
            plan.Start(Steps.Sql($"fill trigger on {target} for {Column.Name}",
                    $"CREATE TRIGGER {Quote.Ident(trigger)} BEFORE INSERT OR UPDATE ON {name} FOR EACH ROW WHEN (NEW.{column} IS NULL) EXECUTE FUNCTION {function}()",
                    LockLevel.ShareRowExclusive, target),
                Steps.Sql($"drop fill trigger on {target}", $"DROP TRIGGER IF EXISTS {Quote.Ident(trigger)} ON {name}", LockLevel.AccessExclusive, target));
            plan.Complete(Steps.Sql($"drop fill trigger on {target}", $"DROP TRIGGER IF EXISTS {Quote.Ident(trigger)} ON {name}", LockLevel.AccessExclusive, target));
            plan.Complete(Steps.Sql($"drop fill function for {target}.{Column.Name}", $"DROP FUNCTION IF EXISTS {function}()", LockLevel.None, null));
        }
        var notNull = Quote.Ident(PlanBuilder.HelperName("nn", table.Name, Column.Name));
        var validations = new List<Step>();
        if (!Column.Nullable)
        {
            plan.Start(Steps.Sql($"NOT VALID check {target}.{Column.Name} IS NOT NULL (new writes)",
                $"ALTER TABLE {name} ADD CONSTRAINT {notNull} CHECK ({column} IS NOT NULL) NOT VALID", LockLevel.AccessExclusive, target));
            validations.Add(Steps.Sql($"validate {target}.{Column.Name} IS NOT NULL", $"ALTER TABLE {name} VALIDATE CONSTRAINT {notNull}", LockLevel.ShareUpdateExclusive, target));
        }
        if (Column.Check is { } check)
        {
            plan.Start(Steps.Sql($"NOT VALID check {check.Name}", $"ALTER TABLE {name} ADD CONSTRAINT {Quote.Ident(check.Name)} CHECK ({check.Constraint}) NOT VALID",
                LockLevel.AccessExclusive, target));
            validations.Add(Steps.Sql($"validate check {check.Name}", $"ALTER TABLE {name} VALIDATE CONSTRAINT {Quote.Ident(check.Name)}", LockLevel.ShareUpdateExclusive, target));
        }
        if (fill is not null)
        {
            plan.Start(Steps.Backfill($"backfill {target}.{Column.Name}",
                new BackfillSpec(table.Schema, table.Name, [new BackfillSet(Column.Name, fill)], $"{column} IS NULL", PlanBuilder.KeyOf(table))));
        }
        if (!Column.Nullable)
        {
            plan.Start(Steps.Check($"no row of {target} is left without {Column.Name}", $"SELECT 1 FROM {name} WHERE {column} IS NULL LIMIT 1", target));
        }
        if (Column.References is { } fk)
        {
            // Added after the backfill, not before: a foreign key checks every row an UPDATE changes, one lookup each,
            // which made the backfill about three times slower. Rows written meanwhile are checked by the validation.
            var referenced = PlanBuilder.Split(fk.Table);
            plan.Start(Steps.Sql($"NOT VALID foreign key {fk.Name}",
                $"ALTER TABLE {name} ADD CONSTRAINT {Quote.Ident(fk.Name)} FOREIGN KEY ({column}) REFERENCES {Quote.Ident(referenced.Schema, referenced.Name)} ({Quote.Ident(fk.Column)}) ON DELETE {fk.OnDelete} NOT VALID",
                LockLevel.ShareRowExclusive, target));
            validations.Add(Steps.Sql($"validate foreign key {fk.Name}", $"ALTER TABLE {name} VALIDATE CONSTRAINT {Quote.Ident(fk.Name)}", LockLevel.ShareUpdateExclusive, target));
        }
        foreach (var validation in validations)
        {
            plan.Start(validation);
        }
        if (Column.Unique)
        {
            var index = $"{table.Name}_{Column.Name}_key";
            plan.Start(Steps.Sql($"unique index {index} (concurrently)", $"CREATE UNIQUE INDEX CONCURRENTLY {Quote.Ident(index)} ON {name} ({column})",
                    LockLevel.ShareUpdateExclusive, target, inTransaction: false),
                Steps.Sql($"drop unique index {index}", $"DROP INDEX CONCURRENTLY IF EXISTS {Quote.Ident(table.Schema, index)}", LockLevel.ShareUpdateExclusive, target, inTransaction: false));
            plan.Complete(Steps.Sql($"unique constraint {index} on its index", $"ALTER TABLE {name} ADD CONSTRAINT {Quote.Ident(index)} UNIQUE USING INDEX {Quote.Ident(index)}",
                LockLevel.ShareUpdateExclusive, target));
        }
        if (Column.Comment is { } comment)
        {
            plan.Start(Steps.Sql($"comment on {target}.{Column.Name}", $"COMMENT ON COLUMN {name}.{column} IS {Quote.Literal(comment)}", LockLevel.ShareUpdateExclusive, target));
        }
        plan.Added(table, new Catalog.ColumnModel(Column.Name, Column.Type, !Column.Nullable, Column.Default, null, null, null, Column.Comment));
        if (!Column.Nullable)
        {
            plan.Complete(Steps.Sql($"{target}.{Column.Name} SET NOT NULL (proved by the validated check: no scan)",
                $"ALTER TABLE {name} ALTER COLUMN {column} SET NOT NULL", LockLevel.AccessExclusive, target));
            plan.Complete(Steps.Sql($"drop the helper check on {target}.{Column.Name}", $"ALTER TABLE {name} DROP CONSTRAINT IF EXISTS {notNull}", LockLevel.AccessExclusive, target));
        }
    }
}
