using Stepwise.Catalog;
using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary>
/// The expand/contract recipes operations share: a fill trigger, NOT NULL through a validated check,
/// constraints added NOT VALID and validated separately, unique constraints on concurrently built indexes.
/// Each adds its start, complete and rollback steps and returns the validation step (to run after backfills).
/// </summary>
internal static class ColumnRecipes
{
    /// <summary>
    /// A BEFORE INSERT OR UPDATE trigger that computes <paramref name="expression"/> for rows written without
    /// <paramref name="column"/> (only then: the WHEN clause keeps it off rows that have a value), dropped at complete
    /// (or, kept, at a later operation migration's complete).
    /// Bare names in the expression mean the row's columns, as in the backfill's UPDATE; inside a subquery, as in
    /// SQL, the subquery's own columns come first.
    /// </summary>
    /// <param name="keep">Keep the trigger past complete (for slow rollouts: old instances still writing); the complete of a later operation migration drops it.</param>
    public static void FillTrigger(PlanBuilder plan, TableModel table, string column, string expression, bool keep)
    {
        var name = Quote.Ident(table.Schema, table.Name);
        var target = table.QualifiedName;
        var trigger = PlanBuilder.HelperName("fill", table.Name, column);
        var function = Quote.Ident(table.Schema, trigger);
        var variables = string.Concat(table.Columns.Select(c => $"    {Quote.Ident(c.Name)} {c.Type} := NEW.{Quote.Ident(c.Name)};\n"));
        var dropFunction = Steps.Sql($"drop fill function for {target}.{column}", $"DROP FUNCTION IF EXISTS {function}()");
        plan.Start(Steps.Sql($"fill function for {target}.{column} (rows written without it)",
                $"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $stepwise$\n#variable_conflict use_column\nDECLARE\n{variables}BEGIN\n    NEW.{Quote.Ident(column)} := ({expression});\n    RETURN NEW;\nEND\n$stepwise$"),
            dropFunction);
        var dropTrigger = Steps.Sql($"drop fill trigger on {target}", $"DROP TRIGGER IF EXISTS {Quote.Ident(trigger)} ON {name}");
        plan.Start(Steps.Sql($"fill trigger on {target} for {column}",
                $"CREATE TRIGGER {Quote.Ident(trigger)} BEFORE INSERT OR UPDATE ON {name} FOR EACH ROW WHEN (NEW.{Quote.Ident(column)} IS NULL) EXECUTE FUNCTION {function}()"),
            dropTrigger);
        if (keep)
        {
            plan.Keep(dropTrigger);
            plan.Keep(dropFunction);
        }
        else
        {
            plan.Complete(dropTrigger);
            plan.Complete(dropFunction);
        }
    }

    /// <summary>The batched backfill of <paramref name="column"/> where it is NULL, behind the <see cref="FillTrigger"/> of that column (which fills every row written meanwhile).</summary>
    public static void Backfill(PlanBuilder plan, TableModel table, string column, string expression) =>
        plan.Start(Steps.Backfill($"backfill {table.QualifiedName}.{column}",
            new BackfillSpec(table.Schema, table.Name, [new BackfillSet(column, expression)], $"{Quote.Ident(column)} IS NULL", PlanBuilder.KeyOf(table), FilledByTrigger: true)));

    /// <summary>
    /// NOT NULL without a long exclusive scan: a NOT VALID check at start (new writes are checked; the fill
    /// trigger keeps old writers passing), a count of rows still NULL, then (returned) its validation; at
    /// complete <c>SET NOT NULL</c>, which uses the validated check instead of scanning, and the check dropped.
    /// </summary>
    public static Step NotNull(PlanBuilder plan, TableModel table, string column, bool undo)
    {
        var (add, validate, set, drop) = NotNullSteps(table, column);
        plan.Start(add, undo ? drop : null);
        plan.Complete(set);
        plan.Complete(drop);
        return validate;
    }

    /// <summary>The recipe's four statements: the NOT VALID check, its validation, SET NOT NULL (no scan), the check dropped.</summary>
    public static (Step Add, Step Validate, Step Set, Step Drop) NotNullSteps(TableModel table, string column)
    {
        var name = Quote.Ident(table.Schema, table.Name);
        var target = $"{table.QualifiedName}.{column}";
        var check = Quote.Ident(PlanBuilder.HelperName("nn", table.Name, column));
        return (Steps.Sql($"NOT VALID check {target} IS NOT NULL (new writes)", $"ALTER TABLE {name} ADD CONSTRAINT {check} CHECK ({Quote.Ident(column)} IS NOT NULL) NOT VALID"),
            Steps.Sql($"validate {target} IS NOT NULL", $"ALTER TABLE {name} VALIDATE CONSTRAINT {check}"),
            Steps.Sql($"{target} SET NOT NULL (proved by the validated check: no scan)", $"ALTER TABLE {name} ALTER COLUMN {Quote.Ident(column)} SET NOT NULL"),
            Steps.Sql($"drop the helper check on {target}", $"ALTER TABLE {name} DROP CONSTRAINT IF EXISTS {check}"));
    }

    /// <summary>No row may still be NULL before the check is validated (a clear message instead of a failed VALIDATE).</summary>
    public static void NoNulls(PlanBuilder plan, TableModel table, string column) =>
        plan.Start(Steps.Check($"no row of {table.QualifiedName} is left without {column}",
            $"SELECT 1 FROM {Quote.Ident(table.Schema, table.Name)} WHERE {Quote.Ident(column)} IS NULL LIMIT 1"));

    /// <summary>A constraint added NOT VALID (new writes checked at once); returns its validation (SHARE UPDATE EXCLUSIVE: reads and writes go on).</summary>
    public static Step NotValid(PlanBuilder plan, TableModel table, string constraint, string definition, bool undo)
    {
        var name = Quote.Ident(table.Schema, table.Name);
        plan.Start(Steps.Sql($"NOT VALID {constraint} on {table.QualifiedName}", $"ALTER TABLE {name} ADD CONSTRAINT {Quote.Ident(constraint)} {definition} NOT VALID"),
            undo ? Steps.Sql($"drop constraint {constraint}", $"ALTER TABLE {name} DROP CONSTRAINT IF EXISTS {Quote.Ident(constraint)}") : null);
        return Steps.Sql($"validate {constraint}", $"ALTER TABLE {name} VALIDATE CONSTRAINT {Quote.Ident(constraint)}");
    }

    /// <summary><c>FOREIGN KEY (...) REFERENCES ...</c> for a definition.</summary>
    public static string ForeignKey(IEnumerable<string> columns, string table, IEnumerable<string> referenced, string onDelete, string onUpdate = "NO ACTION",
        string match = "SIMPLE", bool deferrable = false, bool initiallyDeferred = false) =>
        $"FOREIGN KEY ({string.Join(", ", columns.Select(Quote.Ident))}) REFERENCES {PlanBuilder.Qualified(table)} ({string.Join(", ", referenced.Select(Quote.Ident))})"
        + (match == "SIMPLE" ? "" : $" MATCH {match}") + $" ON DELETE {onDelete}" + (onUpdate == "NO ACTION" ? "" : $" ON UPDATE {onUpdate}")
        + (initiallyDeferred ? " DEFERRABLE INITIALLY DEFERRED" : deferrable ? " DEFERRABLE" : "");

    /// <summary>The definition of a column's foreign key.</summary>
    public static string ForeignKey(string column, ForeignKeyReference fk) =>
        ForeignKey([column], fk.Table, [fk.Column], fk.OnDelete, fk.OnUpdate, fk.MatchType, fk.Deferrable, fk.InitiallyDeferred);

    /// <summary>The definition of a check constraint.</summary>
    public static string Check(CheckConstraint check) => $"CHECK ({check.Constraint}){(check.NoInherit ? " NO INHERIT" : "")}";

    /// <summary>
    /// A unique constraint without blocking writes: the unique index built CONCURRENTLY at start, the constraint
    /// attached to it (a brief lock) at <paramref name="attachAtComplete"/> complete or else at once.
    /// </summary>
    /// <param name="primaryKey">Attach it as the primary key (PostgreSQL then also sets its columns NOT NULL, scanning unless they are).</param>
    /// <param name="parameters">The index's INCLUDE columns, storage parameters and tablespace (pgroll's <c>index_parameters</c>).</param>
    public static void Unique(PlanBuilder plan, TableModel table, string constraint, IEnumerable<string> columns, bool attachAtComplete, bool primaryKey = false,
        IndexParameters? parameters = null)
    {
        var name = Quote.Ident(table.Schema, table.Name);
        plan.Start(Steps.Sql($"unique index {constraint} (concurrently)",
                $"CREATE UNIQUE INDEX CONCURRENTLY {Quote.Ident(constraint)} ON {name} ({string.Join(", ", columns.Select(Quote.Ident))}){parameters?.IndexClause}"),
            Steps.Sql($"drop unique index {constraint}", $"DROP INDEX CONCURRENTLY IF EXISTS {Quote.Ident(table.Schema, constraint)}"));
        var kind = primaryKey ? "PRIMARY KEY" : "UNIQUE";
        var attach = Steps.Sql($"{kind.ToLowerInvariant()} constraint {constraint} on its index", $"ALTER TABLE {name} ADD CONSTRAINT {Quote.Ident(constraint)} {kind} USING INDEX {Quote.Ident(constraint)}");
        if (attachAtComplete)
        {
            plan.Complete(attach);
        }
        else
        {
            plan.Start(attach, Steps.Sql($"drop constraint {constraint}", $"ALTER TABLE {name} DROP CONSTRAINT IF EXISTS {Quote.Ident(constraint)}"));
        }
    }
}
