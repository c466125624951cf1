using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>VALIDATE CONSTRAINT in the transaction that added the constraint NOT VALID scans under the ADD's lock.</summary>
public sealed class ValidateInSameTransaction : LintRule
{
    /// <inheritdoc />
    public override string Id => "validate-in-same-transaction";

    /// <inheritdoc />
    public override string Title => "Validate constraints in a later transaction than the one that adds them";

    /// <inheritdoc />
    public override LintSeverity DefaultSeverity => LintSeverity.Error;

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override bool ScalesWithTableSize => true;

    /// <inheritdoc />
    public override LockedWork Work => LockedWork.Scan;

    /// <inheritdoc />
    public override string Why =>
        "NOT VALID exists so that the slow part, checking the existing rows, runs under a weak lock: VALIDATE CONSTRAINT takes " +
        "only SHARE UPDATE EXCLUSIVE, and reads and writes go on. But PostgreSQL keeps every lock until the transaction ends, so " +
        "when VALIDATE runs in the transaction that added the constraint, the lock ADD CONSTRAINT took is still held through the " +
        "whole scan: ACCESS EXCLUSIVE for a CHECK, SHARE ROW EXCLUSIVE on both tables for a foreign key. That is the same outage " +
        "as leaving NOT VALID out. A Stepwise migration runs as one transaction, so both statements in one migration file means " +
        "both in one transaction.";

    /// <inheritdoc />
    public override string Fix =>
        "Commit in between: put VALIDATE CONSTRAINT in a later migration, or mark the section -- stepwise:no-transaction so each " +
        "statement commits on its own; in plain SQL, COMMIT before validating.";

    /// <inheritdoc />
    public override string FixExample =>
        "-- 20260301090000_add_attempts_check.sql\n" +
        "ALTER TABLE workflow_runs ADD CONSTRAINT runs_attempts_positive CHECK (attempts > 0) NOT VALID;\n" +
        "-- 20260301090100_validate_attempts_check.sql\n" +
        "ALTER TABLE workflow_runs VALIDATE CONSTRAINT runs_attempts_positive;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        if (statement.Tree.Target is not { } table || context.IsCreatedInFile(table))
        {
            return;
        }
        // One statement is atomic even in autocommit; earlier statements share its transaction only inside one.
        var sameTransaction = context.EarlierInTransaction(statement);
        var commands = statement.Tree.AlterTableCommands;
        for (var i = 0; i < commands.Count; i++)
        {
            if (commands[i].Subtype != "AT_ValidateConstraint" || commands[i].Name is not { } name)
            {
                continue;
            }
            // Added earlier in this very statement, or by an earlier statement of the same transaction.
            var (holder, where, line) = ("statement", "in the same statement as", "");
            var added = NotValidAdd(statement.Tree, table, name, before: i);
            if (added is null && sameTransaction.LastOrDefault(e => NotValidAdd(e.Tree, table, name, int.MaxValue) is not null) is { } adding)
            {
                (holder, where, line) = ("transaction", "in the same transaction as", $" on line {adding.Line}");
                added = NotValidAdd(adding.Tree, table, name, int.MaxValue);
            }
            if (added is null)
            {
                continue;
            }
            // The transaction holds the strongest lock any of its statements took on the table so far.
            var held = sameTransaction.Append(statement).Select(e => HeldLocks.On(e.Tree, table)).Max();
            var holding = $"{held.ToSql()} on {table}";
            var blocked = HeldLocks.Blocked(held, table);
            if (added.Value.Definition.ReferencedTable is { } referenced && LintContext.Normalize(referenced) != LintContext.Normalize(table))
            {
                var heldThere = sameTransaction.Append(statement).Select(e => HeldLocks.On(e.Tree, referenced)).Max();
                holding += $" and {heldThere.ToSql()} on {referenced}";
                blocked += $" and {HeldLocks.Blocked(heldThere, referenced)}";
            }
            context.Report(statement,
                $"ALTER TABLE {table} VALIDATE CONSTRAINT {name} runs {where} {added.Value.Clause} ... NOT VALID{line}: the {holder} still holds " +
                $"{holding}, so {blocked} are blocked through the whole validating scan, as if NOT VALID had been left out", table);
        }
    }

    /// <summary>The NOT VALID constraint <paramref name="name"/> that <paramref name="tree"/> adds to <paramref name="table"/> before sub-command <paramref name="before"/>.</summary>
    private static AddedConstraint? NotValidAdd(StatementTree tree, RelationName table, string name, int before)
    {
        if (tree.Target is not { } target || LintContext.Normalize(target) != LintContext.Normalize(table))
        {
            return null;
        }
        foreach (var added in AddedConstraints.In(tree))
        {
            if (added.Command < before && added.Definition.Name == name && added.Definition.SkipValidation)
            {
                return added;
            }
        }
        return null;
    }
}
