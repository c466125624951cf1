using Stepwise.Sql;

namespace Stepwise.Planning;

/// <summary>
/// One queue wait per table: consecutive steps that take a lock blocking writes on the same table and only change
/// the catalog (add a column, a trigger, a NOT VALID constraint, SET NOT NULL backed by a validated check, drops
/// of helpers) become one step that runs them in one transaction. The table's lock is then queued for once and held
/// for milliseconds, instead of once per step. Steps that read or write rows (validation, backfills, index builds)
/// are never grouped; a function created between two grouped steps (a fill trigger's) goes with them.
/// </summary>
public static class StepGrouping
{
    /// <summary>The plan with each phase's groupable runs merged; a plan with nothing to group comes back equal.</summary>
    public static Plan Group(Plan plan)
    {
        // SET NOT NULL skips its scan only where a validated check proves the column: a VALIDATE in the plan says so.
        var validated = plan.Start.Concat(plan.Complete).Concat(plan.Rollback)
            .SelectMany(Trees).Where(t => t.AlterTableCommands.Any(c => c.Subtype == "AT_ValidateConstraint"))
            .Select(t => Table(t.Root)).OfType<RelationName>().ToHashSet();
        return plan with { Start = Group(plan.Start, validated), Complete = Group(plan.Complete, validated), Rollback = Group(plan.Rollback, validated) };
    }

    private static List<Step> Group(IReadOnlyList<Step> steps, HashSet<RelationName> validated)
    {
        var grouped = new List<Step>();
        var i = 0;
        while (i < steps.Count)
        {
            if (Strong(steps[i], validated) is not { Count: > 0 } tables)
            {
                grouped.Add(steps[i++]);
                continue;
            }
            // Extend over steps that lock one of the same tables strongly, or no table at all (a function); end on a strong one.
            var last = i;
            for (var j = i + 1; j < steps.Count && Strong(steps[j], validated) is { } next && (next.Count == 0 || next.Overlaps(tables)); j++)
            {
                if (next.Count > 0)
                {
                    tables.IntersectWith(next);
                    last = j;
                }
            }
            if (last == i)
            {
                grouped.Add(steps[i++]);
                continue;
            }
            var members = steps.Skip(i).Take(last - i + 1).ToList();
            var table = tables.First();
            var strongest = members.MaxBy(s => s.Lock)!;
            grouped.Add(new Step
            {
                Description = $"one transaction, one lock wait on {table}: {string.Join("; ", members.Select(s => s.Description))}",
                Sql = string.Join(";\n", members.Select(s => s.Sql!.TrimEnd().TrimEnd(';'))),
                Lock = strongest.Lock,
                LockTarget = strongest.LockTarget,
                Operation = members[0].Operation,
            });
            i = last + 1;
        }
        return grouped;
    }

    /// <summary>
    /// The tables a step locks against writes when it only changes the catalog (empty when it locks no table,
    /// like CREATE FUNCTION); null when it cannot join a group.
    /// </summary>
    private static HashSet<RelationName>? Strong(Step step, HashSet<RelationName> validated)
    {
        if (step.Kind != StepKind.Sql || !step.InTransaction || step.Sql is null || Trees(step).ToList() is not [var tree] || !CatalogOnly(tree, validated))
        {
            return null;
        }
        return [.. StatementLocks.For(tree).Where(l => l.Level.ConflictsWith(LockLevel.RowExclusive)).Select(l => Normal(l.Relation))];
    }

    private static IEnumerable<StatementTree> Trees(Step step) =>
        step.Kind == StepKind.Sql && step.Sql is not null ? SqlParser.Parse(step.Sql).Statements.Select(s => s.Tree).OfType<StatementTree>() : [];

    private static bool CatalogOnly(StatementTree tree, HashSet<RelationName> validated) => tree.Root.Kind switch
    {
        "AlterTableStmt" => tree.AlterTableCommands.Count > 0 && tree.AlterTableCommands.All(c => c.Subtype switch
        {
            "AT_AddColumn" => NoRewrite(c.Definition),
            "AT_AddConstraint" => new ConstraintDefinition(c.Definition) is { SkipValidation: true, Type: "CONSTR_CHECK" or "CONSTR_FOREIGN" },
            "AT_SetNotNull" => Table(tree.Root) is { } t && validated.Contains(t),
            "AT_DropConstraint" or "AT_DropColumn" or "AT_ColumnDefault" or "AT_DropNotNull" or "AT_EnableTrig" or "AT_DisableTrig" => true,
            _ => false,
        }),
        "CreateTrigStmt" or "CreateFunctionStmt" or "CommentStmt" => true,
        "DropStmt" => tree.Root.String("removeType") is "OBJECT_TRIGGER" or "OBJECT_FUNCTION",
        _ => false,
    };

    /// <summary>ADD COLUMN that stores nothing per row: no default, or a constant one; no identity, generated value or inline constraint that scans.</summary>
    private static bool NoRewrite(SqlNode column) => column.Nodes("constraints").All(c => c.String("contype") switch
    {
        "CONSTR_NULL" => true,
        "CONSTR_DEFAULT" => c.Node("raw_expr") is var value && (value.Kind == "A_Const" || (value.Kind == "TypeCast" && value.Node("arg").Kind == "A_Const")),
        _ => false,
    });

    private static RelationName? Table(SqlNode root) => root.Node("relation", "RangeVar") is { IsMissing: false } r ? Normal(RelationName.FromRangeVar(r)) : null;

    private static RelationName Normal(RelationName name) => name with { Schema = name.Schema ?? "public" };
}
