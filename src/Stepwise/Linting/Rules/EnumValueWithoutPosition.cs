using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>
/// ALTER TYPE ... ADD VALUE without BEFORE/AFTER puts the value last in the enum's order; and a value
/// added inside a transaction cannot be used until that transaction commits.
/// </summary>
public sealed class EnumValueWithoutPosition : LintRule
{
    /// <inheritdoc />
    public override string Id => "enum-value-without-position";

    /// <inheritdoc />
    public override string Title => "Say where a new enum value goes, and commit it before using it";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Info;

    /// <inheritdoc />
    public override string Why =>
        "Enum values sort in the order they were declared, not alphabetically. ALTER TYPE ... ADD VALUE without BEFORE or AFTER puts the new label "
        + "after every existing one, so <, >, BETWEEN, ORDER BY, min() and max() over the enum treat it as the greatest: right for a list that only "
        + "grows, wrong when the labels form a scale (low < medium < high). Separately, since PostgreSQL 12 ADD VALUE may run inside a transaction block, "
        + "but the new value cannot be used until that transaction commits: a later statement in the same transaction that turns the label into the "
        + "enum (comparing, casting, inserting or defaulting it) fails with \"unsafe use of new value\" (55P04), and the migration with it. "
        + "Before PostgreSQL 12, ADD VALUE cannot run inside a transaction block at all.";

    /// <inheritdoc />
    public override string Fix =>
        "Write BEFORE or AFTER to place the value in the order (or ignore the finding when last is right). Use a new value only after the transaction "
        + "that added it has committed: in a later migration, or in a -- stepwise:no-transaction section, where each statement commits on its own.";

    /// <inheritdoc />
    public override string FixExample =>
        "ALTER TYPE run_status ADD VALUE IF NOT EXISTS 'paused' AFTER 'running';\n-- in a later migration:\nUPDATE workflow_runs SET status = 'paused' WHERE paused_at IS NOT NULL;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        if (AddedValue(statement) is { } added)
        {
            CheckAdd(statement, added, context);
            return;
        }
        CheckUseOfUncommittedValue(statement, context);
    }

    private static void CheckAdd(LintStatement statement, (string Type, string Label) added, LintContext context)
    {
        if (context.PostgresVersion < 12 && statement.InTransaction)
        {
            context.Report(statement,
                $"ALTER TYPE {added.Type} ADD VALUE cannot run inside a transaction block before PostgreSQL 12 (targeting {context.PostgresVersion}): the migration fails here",
                severity: LintSeverity.Error);
        }
        if (statement.Tree.Root.String("newValNeighbor") is null)
        {
            context.Report(statement,
                $"ALTER TYPE {added.Type} ADD VALUE '{added.Label}' without BEFORE or AFTER puts '{added.Label}' after every existing value: "
                + $"<, >, ORDER BY, min() and max() over {added.Type} treat it as the greatest");
        }
    }

    private static void CheckUseOfUncommittedValue(LintStatement statement, LintContext context)
    {
        if (!statement.InTransaction || statement.InFunctionBody
            || !context.EarlierInTransaction(statement).Any(e => e.Tree.Kind == "AlterEnumStmt"))
        {
            return; // no value was added earlier in this transaction: nothing to look for
        }
        var literals = statement.Tree.Root.Descendants()
            .Where(n => n.Kind == "A_Const")
            .Select(n => n.Node("sval", "String").String("sval"))
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        if (literals.Count == 0)
        {
            return;
        }
        var sameTransaction = context.EarlierInTransaction(statement)
            .Where(e => !e.InFunctionBody)
            .ToList();
        var uncommitted = sameTransaction
            .Select(e => (Statement: e, Added: AddedValue(e)))
            .Where(e => e.Added is not null && !UsableBeforeCommit(e.Added.Value.Type, sameTransaction, context))
            .ToList();
        foreach (var (earlier, value) in uncommitted)
        {
            if (literals.Contains(value!.Value.Label))
            {
                context.Report(statement,
                    $"'{value.Value.Label}' is added to {value.Value.Type} earlier in this transaction (line {earlier.Line}): PostgreSQL refuses to use a new enum value "
                    + "before the transaction that added it commits (55P04 unsafe use of new value), so this statement fails",
                    severity: LintSeverity.Error);
                return;
            }
        }
    }

    /// <summary>The type and label of ALTER TYPE ... ADD VALUE; null for anything else (RENAME VALUE included).</summary>
    private static (string Type, string Label)? AddedValue(LintStatement statement)
    {
        var root = statement.Tree.Root;
        return root.Kind == "AlterEnumStmt" && root.String("oldVal") is null && root.String("newVal") is { } label
            ? (string.Join('.', root.Names("typeName")), label)
            : null;
    }

    /// <summary>PostgreSQL 17 lets a transaction use values added to an enum type it created itself.</summary>
    private static bool UsableBeforeCommit(string type, List<LintStatement> sameTransaction, LintContext context) =>
        context.PostgresVersion >= 17
        && sameTransaction.Any(e => e.Tree.Kind == "CreateEnumStmt" && string.Join('.', e.Tree.Root.Names("typeName")) == type);
}
