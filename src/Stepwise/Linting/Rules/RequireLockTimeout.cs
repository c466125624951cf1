using System.Text.RegularExpressions;
using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>In plain SQL, DDL on an existing table without lock_timeout can queue behind a long transaction and block everyone behind it.</summary>
public sealed partial class RequireLockTimeout : LintRule
{
    /// <inheritdoc />
    public override string Id => "require-lock-timeout";

    /// <inheritdoc />
    public override string Title => "Set lock_timeout before DDL in plain SQL";

    /// <inheritdoc />
    public override string Why =>
        "Reported once per file, at the first statement that needs it. "
        + "A statement that needs a lock stronger than ROW EXCLUSIVE (ALTER TABLE, CREATE INDEX, DROP, ...) waits for every transaction holding a "
        + "conflicting lock on the table, and with lock_timeout at its default of 0 it waits for as long as they run — a report query or an idle "
        + "transaction can hold it for hours. While it waits its request is already in the lock queue: every later request that conflicts with it "
        + "(for ACCESS EXCLUSIVE, every SELECT) queues behind it, so a statement that would take milliseconds stalls the application. With "
        + "lock_timeout set, it gives up after that long instead (SQLSTATE 55P03) and can be retried. Stepwise migrations are not checked: the "
        + "executor sets lock_timeout and retries with backoff.";

    /// <inheritdoc />
    public override string Fix =>
        "Put SET lock_timeout near the top of the file (or SET LOCAL lock_timeout inside the BEGIN ... COMMIT), a few seconds at most, and retry "
        + "the file when it times out; or turn the file into a Stepwise migration.";

    /// <inheritdoc />
    public override string FixExample => "SET lock_timeout = '2s';\nALTER TABLE workflow_runs ADD COLUMN note text;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        // Once per file, at the first statement that needs it: one SET at the top fixes them all.
        if (!context.PlainSql || statement.InFunctionBody || context.ReportedInFile)
        {
            return;
        }
        var strong = context.LocksOf(statement.Tree)
            .Where(l => l.Level > LockLevel.RowExclusive && !context.IsCreatedInFile(l.Relation))
            .OrderByDescending(l => l.Level)
            .ToList();
        if (strong.Count == 0 || LockTimeoutInEffect(statement, context))
        {
            return;
        }
        var held = strong[0];
        var others = strong.Count > 1 ? $" (and {string.Join(", ", strong.Skip(1).Select(l => $"{l.Level.ToSql()} on {l.Relation}"))})" : "";
        // A queued SHARE UPDATE EXCLUSIVE request holds up only schema changes and VACUUM, not the application.
        var severity = held.Level.ConflictsWith(LockLevel.RowExclusive) ? (LintSeverity?)null : LintSeverity.Info;
        context.Report(statement,
            $"{statement.Tree.CommandTag} takes {held.Level.ToSql()} on {held.Relation}{others} with no lock_timeout set earlier in the file: behind a long transaction "
            + $"on {held.Relation} it waits as long as that runs, and while it waits it already {held.Level.Blocks()}, so the sessions behind it queue too "
            + "(reported once per file: later statements without it are not listed)",
            held.Relation, severity);
    }

    /// <inheritdoc />
    public override string? FixExampleFor(LintStatement statement) => $"SET lock_timeout = '2s';\n{statement.Text};";

    /// <summary>Replays the file's SET / RESET lock_timeout (and set_config) up to <paramref name="statement"/>.</summary>
    private static bool LockTimeoutInEffect(LintStatement statement, LintContext context)
    {
        var session = false;
        (int Group, bool On)? local = null;
        // Only SET/RESET and SELECT set_config(...) change it: look at those alone.
        foreach (var earlier in context.EarlierOfKind("VariableSetStmt", "SelectStmt").Where(e => !e.InFunctionBody))
        {
            if (Change(earlier.Tree) is not { } change)
            {
                continue;
            }
            if (!change.Local)
            {
                session = change.On;
                local = null;
            }
            else if (earlier.InTransaction)
            {
                // SET LOCAL lasts until the end of its transaction; outside one PostgreSQL ignores it with a warning.
                local = (earlier.TransactionGroup, change.On);
            }
        }
        return statement.InTransaction && local is { } l && l.Group == statement.TransactionGroup ? l.On : session;
    }

    /// <summary>What a statement does to lock_timeout: null when it leaves it alone.</summary>
    private static (bool On, bool Local)? Change(StatementTree tree)
    {
        var root = tree.Root;
        if (root.Kind == "VariableSetStmt")
        {
            return root.String("kind") switch
            {
                "VAR_RESET_ALL" => (false, false),
                _ when root.String("name") != "lock_timeout" => null,
                "VAR_SET_VALUE" => (!IsZero(root.Nodes("args").FirstOrDefault()), root.Bool("is_local")),
                "VAR_SET_DEFAULT" or "VAR_RESET" => (false, root.Bool("is_local")),
                _ => null,
            };
        }
        // SELECT set_config('lock_timeout', '2s', false)
        if (!tree.FunctionsCalled.Contains("set_config"))
        {
            return null;
        }
        foreach (var call in root.Descendants().Where(n => n.Kind == "FuncCall" && n.Names("funcname") is { Count: > 0 } f && f[^1] == "set_config"))
        {
            var args = call.Nodes("args").ToList();
            if (args.Count == 3 && ConstantText(args[0]) == "lock_timeout")
            {
                return (!IsZero(args[1]), args[2].Node("boolval", "Boolean").Bool("boolval"));
            }
        }
        return null;
    }

    /// <summary>0, '0', '0s', '0ms', ...: lock_timeout's "wait forever". A value that is not a constant counts as set.</summary>
    private static bool IsZero(SqlNode value)
    {
        if (value.Kind != "A_Const")
        {
            return false;
        }
        if (!value.Node("ival", "Integer").IsMissing)
        {
            return value.Node("ival", "Integer").Int("ival") == 0;
        }
        return ConstantText(value) is { } text && ZeroDuration().IsMatch(text);
    }

    private static string? ConstantText(SqlNode value) => value.Kind == "A_Const" ? value.Node("sval", "String").String("sval") ?? value.Node("fval", "Float").String("fval") : null;

    [GeneratedRegex(@"^\s*0+(\.0*)?\s*(us|ms|s|min|h|d)?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex ZeroDuration();
}
