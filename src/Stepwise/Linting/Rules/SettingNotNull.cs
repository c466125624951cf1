using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>SET NOT NULL scans the table under ACCESS EXCLUSIVE unless a validated CHECK already proves it.</summary>
public sealed class SettingNotNull : LintRule
{
    /// <inheritdoc />
    public override string Id => "setting-not-null";

    /// <inheritdoc />
    public override string Title => "Prove a column has no NULLs before SET NOT NULL";

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
        "ALTER TABLE ... ALTER COLUMN ... SET NOT NULL takes ACCESS EXCLUSIVE on the table and reads every row to make sure " +
        "none holds NULL: nobody can read or write the table meanwhile, which on a big table is minutes, and inside a " +
        "transaction the lock stays until it commits. Since PostgreSQL 12 the scan is skipped when a validated CHECK " +
        "constraint already proves the column IS NOT NULL. Old application instances that still write NULL there start " +
        "failing as soon as it commits.";

    /// <inheritdoc />
    public override string Fix =>
        "First add CHECK (column IS NOT NULL) NOT VALID, then VALIDATE CONSTRAINT in a later transaction (it scans under SHARE " +
        "UPDATE EXCLUSIVE, so reads and writes go on). SET NOT NULL then skips its scan and holds ACCESS EXCLUSIVE only for a " +
        "moment; drop the CHECK afterwards, it says nothing the column does not. Needs PostgreSQL 12 or later.";

    /// <inheritdoc />
    public override string FixExample =>
        "ALTER TABLE workflow_runs ADD CONSTRAINT runs_org_not_null CHECK (organization_id IS NOT NULL) NOT VALID;\n" +
        "-- later, in its own transaction:\n" +
        "ALTER TABLE workflow_runs VALIDATE CONSTRAINT runs_org_not_null;\n" +
        "ALTER TABLE workflow_runs ALTER COLUMN organization_id SET NOT NULL;\n" +
        "ALTER TABLE workflow_runs DROP CONSTRAINT runs_org_not_null;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        if (statement.Tree.Target is not { } table || context.IsCreatedInFile(table))
        {
            return;
        }
        foreach (var command in statement.Tree.AlterTableCommands)
        {
            if (command.Subtype != "AT_SetNotNull" || command.Name is not { } column)
            {
                continue;
            }
            var proof = Proof(table, column, context);
            if (proof.Validated && context.PostgresVersion >= 12)
            {
                continue;
            }
            var why = context.PostgresVersion < 12
                ? $"; PostgreSQL {context.PostgresVersion} cannot use a CHECK constraint to skip it"
                : proof.NotValidLine is { } line
                    ? $"; the CHECK on line {line} would let PostgreSQL skip the scan, but it has not been validated by then"
                    : "";
            var tableLock = HeldLocks.On(statement.Tree, table);
            context.Report(statement,
                $"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL scans every row of {table} for NULLs under {tableLock.ToSql()}: " +
                $"{HeldLocks.Blocked(tableLock, table)} are blocked {HeldLocks.Until(statement, "the scan ends")}{why}", table);
        }
    }

    /// <summary>
    /// Whether an earlier statement left a validated CHECK that proves <paramref name="column"/> IS NOT NULL (added
    /// without NOT VALID, or validated later), and where a NOT VALID one that was never validated is.
    /// </summary>
    private static (bool Validated, int? NotValidLine) Proof(RelationName table, string column, LintContext context)
    {
        int? notValidLine = null;
        if (context.Remembered<Checks>().TryGetValue(LintContext.Normalize(table), out var checks))
        {
            foreach (var check in checks.Where(c => ProvesNotNull(c.Expression, column)))
            {
                if (check.Validated)
                {
                    return (true, null);
                }
                notValidLine ??= check.Line;
            }
        }
        return (false, notValidLine);
    }

    /// <summary>A CHECK constraint added earlier: its expression (a small piece of its statement's tree), name, line, and whether it is validated yet.</summary>
    internal sealed class CheckAdded(SqlNode expression, string? name, int line, bool validated)
    {
        public SqlNode Expression { get; } = expression;

        public string? Name { get; } = name;

        public int Line { get; } = line;

        public bool Validated { get; set; } = validated;
    }

    /// <summary>The CHECK constraints added so far, by table, in order.</summary>
    internal sealed class Checks : Dictionary<RelationName, List<CheckAdded>>;

    /// <summary>Notes the CHECK constraints a statement adds, and those it validates, as the linter moves past it.</summary>
    internal static void Remember(LintStatement statement, LintContext context)
    {
        if (statement.Tree.Target is not { } table)
        {
            return;
        }
        var key = LintContext.Normalize(table);
        var checks = context.Remembered<Checks>();
        foreach (var added in AddedConstraints.In(statement.Tree).Where(a => a.Definition.Type == "CONSTR_CHECK"))
        {
            if (!checks.TryGetValue(key, out var list))
            {
                checks[key] = list = [];
            }
            list.Add(new CheckAdded(added.Definition.Node.Node("raw_expr"), added.Definition.Name, statement.Line, validated: !added.Definition.SkipValidation));
        }
        // VALIDATE CONSTRAINT in the same statement as the ADD counts too.
        foreach (var name in statement.Tree.AlterTableCommands.Where(c => c.Subtype == "AT_ValidateConstraint").Select(c => c.Name).OfType<string>())
        {
            if (checks.TryGetValue(key, out var list))
            {
                foreach (var check in list.Where(c => c.Name == name))
                {
                    check.Validated = true;
                }
            }
        }
    }

    /// <summary>
    /// <c>col IS NOT NULL</c>, <c>NOT (col IS NULL)</c>, or an AND with one of them: the shapes PostgreSQL's proof
    /// (after constant folding) recognises as implying the column is not null.
    /// </summary>
    private static bool ProvesNotNull(SqlNode expression, string column) => expression.Kind switch
    {
        "NullTest" => expression.String("nulltesttype") == "IS_NOT_NULL" && IsColumn(expression.Node("arg"), column),
        "BoolExpr" when expression.String("boolop") == "AND_EXPR" => expression.Nodes("args").Any(a => ProvesNotNull(a, column)),
        "BoolExpr" when expression.String("boolop") == "NOT_EXPR" => expression.Nodes("args").ToList() is [{ Kind: "NullTest" } test]
            && test.String("nulltesttype") == "IS_NULL" && IsColumn(test.Node("arg"), column),
        _ => false,
    };

    /// <summary>A reference to <paramref name="column"/>, qualified or not.</summary>
    private static bool IsColumn(SqlNode reference, string column) =>
        reference.Kind == "ColumnRef" && reference.Names("fields") is [.., var last] && last == column;
}
