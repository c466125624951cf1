using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>A statement outside a transaction is run again after a failure: it must succeed the second time.</summary>
public sealed class PreferRobustStatements : LintRule
{
    /// <inheritdoc />
    public override string Id => "prefer-robust-statements";

    /// <inheritdoc />
    public override string Title => "Make statements outside a transaction safe to run again";

    /// <inheritdoc />
    public override string Why =>
        "A statement that runs outside a transaction block commits on its own. When a later one fails, or the run is interrupted, the statements "
        + "before it stay applied and the file is run again: a plain CREATE TABLE, ADD COLUMN or DROP then fails because its work is already done. "
        + "CREATE INDEX CONCURRENTLY is worse: an interrupted build leaves an INVALID index behind, which the next plain run trips over and which "
        + "IF NOT EXISTS silently keeps (it is never used by queries but still slows every write). In a Stepwise migration a statement that can run in "
        + "a transaction commits together with its progress record, so only statements that cannot (CONCURRENTLY, ...) are run again; Stepwise drops an "
        + "INVALID index of the same name before building it again, which needs the index to have a name.";

    /// <inheritdoc />
    public override string Fix =>
        "Write the statement so a second run succeeds: IF NOT EXISTS on CREATE, ADD COLUMN and ADD VALUE, IF EXISTS on DROP, CREATE OR REPLACE for views, "
        + "functions and triggers, a DROP CONSTRAINT IF EXISTS before ADD CONSTRAINT, and a DROP INDEX CONCURRENTLY IF EXISTS before a named "
        + "CREATE INDEX CONCURRENTLY; or run the statements in one transaction where PostgreSQL allows it.";

    /// <inheritdoc />
    public override string FixExample =>
        "DROP INDEX CONCURRENTLY IF EXISTS workflow_runs_org_idx;\nCREATE INDEX CONCURRENTLY workflow_runs_org_idx ON workflow_runs (organization_id);\nALTER TABLE workflow_runs ADD COLUMN IF NOT EXISTS note text;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        if (statement.InTransaction)
        {
            return;
        }
        // Stepwise commits a statement that can run in a transaction together with its progress record: it never runs twice.
        if (!context.PlainSql && !statement.Tree.CannotRunInTransaction)
        {
            return;
        }
        var problems = Problems(statement, context).ToList();
        if (problems.Count > 0)
        {
            var when = context.PlainSql ? "is not safe to run again after a failure" : "is run again when Stepwise resumes after an interruption";
            context.Report(statement, $"{Subject(statement.Tree)} runs outside a transaction and {when}: {string.Join("; ", problems)}");
        }
    }

    /// <summary>The statement and what it acts on: <c>CREATE INDEX i ON t</c>, <c>DROP TABLE a, b</c>, <c>ALTER TABLE t</c>.</summary>
    private static string Subject(StatementTree tree) => tree.Kind switch
    {
        "IndexStmt" when tree.Index is { } index => index.Name is { } name ? $"CREATE INDEX {name} ON {index.Table}" : $"CREATE INDEX ON {index.Table}",
        "DropStmt" => $"{tree.CommandTag} {string.Join(", ", tree.Root.Nodes("objects").Select(o => string.Join('.', o.Names("items"))))}",
        "CreateSchemaStmt" => $"{tree.CommandTag} {tree.Root.String("schemaname")}",
        "CreateExtensionStmt" => $"{tree.CommandTag} {tree.Root.String("extname")}",
        _ when tree.Target is { } target => $"{tree.CommandTag} {target}",
        _ => tree.CommandTag,
    };

    private static IEnumerable<string> Problems(LintStatement statement, LintContext context)
    {
        var root = statement.Tree.Root;
        var tag = statement.Tree.CommandTag;
        switch (root.Kind)
        {
            case "IndexStmt":
                if (IndexProblem(statement.Tree.Index!.Value, context) is { } problem)
                {
                    yield return problem;
                }
                break;
            case "CreateStmt" or "CreateTableAsStmt" or "CreateSeqStmt" or "CreateSchemaStmt" or "CreateExtensionStmt" when !root.Bool("if_not_exists"):
                var create = root.Kind != "CreateTableAsStmt" ? $"{tag} IF NOT EXISTS"
                    : root.String("objtype") == "OBJECT_MATVIEW" ? "CREATE MATERIALIZED VIEW IF NOT EXISTS" : "CREATE TABLE IF NOT EXISTS ... AS";
                yield return $"it fails once the object exists — write {create}";
                break;
            case "ViewStmt" or "CreateFunctionStmt" when !root.Bool("replace"):
                var word = root.Kind == "ViewStmt" ? "VIEW" : root.Bool("is_procedure") ? "PROCEDURE" : "FUNCTION";
                yield return $"it fails once the {word.ToLowerInvariant()} exists — write CREATE OR REPLACE {word}";
                break;
            case "CreateTrigStmt" when !root.Bool("replace") && context.PostgresVersion >= 14:
                yield return "it fails once the trigger exists — write CREATE OR REPLACE TRIGGER";
                break;
            case "AlterEnumStmt" when root.String("oldVal") is null && !root.Bool("skipIfNewValExists"):
                yield return $"ADD VALUE '{root.String("newVal")}' fails once the value exists — write ADD VALUE IF NOT EXISTS";
                break;
            case "DropStmt" when !root.Bool("missing_ok"):
                yield return $"it fails once the object is gone — write {tag}{(root.Bool("concurrent") ? " CONCURRENTLY" : "")} IF EXISTS";
                break;
            case "AlterTableStmt":
                foreach (var commandProblem in AlterTableProblems(statement, context))
                {
                    yield return commandProblem;
                }
                break;
        }
    }

    private static string? IndexProblem(IndexStatement index, LintContext context)
    {
        if (index.Name is not { } name)
        {
            return "an unnamed index is built again under a new name, leaving a duplicate (or an INVALID one from an interrupted build) — name it";
        }
        if (!index.Concurrent)
        {
            return index.IfNotExists ? null : "it fails once the index exists — write CREATE INDEX IF NOT EXISTS";
        }
        // Stepwise drops an INVALID leftover of a named index itself and skips a build that finished.
        if (!context.PlainSql || DroppedEarlier(context, "OBJECT_INDEX", name))
        {
            return null;
        }
        return index.IfNotExists
            ? $"IF NOT EXISTS keeps an INVALID index left by an interrupted build — write DROP INDEX CONCURRENTLY IF EXISTS {name} before it"
            : $"it fails once the index exists, valid or INVALID after an interrupted build — write DROP INDEX CONCURRENTLY IF EXISTS {name} before it";
    }

    private static IEnumerable<string> AlterTableProblems(LintStatement statement, LintContext context)
    {
        var table = statement.Tree.Target;
        var droppedHere = new HashSet<string>(StringComparer.Ordinal);
        foreach (var command in statement.Tree.AlterTableCommands)
        {
            switch (command.Subtype)
            {
                case "AT_AddColumn" when !command.MissingOk:
                    yield return $"ADD COLUMN {command.Definition.String("colname")} fails once the column exists — write ADD COLUMN IF NOT EXISTS";
                    break;
                case "AT_DropColumn" when !command.MissingOk:
                    yield return $"DROP COLUMN {command.Name} fails once the column is gone — write DROP COLUMN IF EXISTS";
                    break;
                case "AT_DropConstraint" when command.MissingOk:
                    droppedHere.Add(command.Name ?? "");
                    break;
                case "AT_DropConstraint":
                    yield return $"DROP CONSTRAINT {command.Name} fails once the constraint is gone — write DROP CONSTRAINT IF EXISTS";
                    break;
                case "AT_AddConstraint":
                    var name = command.Definition.String("conname");
                    if (name is null)
                    {
                        yield return "an unnamed constraint is added a second time (or fails, for a primary key) — name it and drop it first with DROP CONSTRAINT IF EXISTS";
                    }
                    else if (!droppedHere.Contains(name) && !ConstraintDroppedEarlier(context, table, name))
                    {
                        yield return $"ADD CONSTRAINT {name} fails once the constraint exists — drop it first with DROP CONSTRAINT IF EXISTS {name}";
                    }
                    break;
            }
        }
    }

    /// <summary>An earlier <c>DROP ... IF EXISTS</c> of this kind of object with this name.</summary>
    private static bool DroppedEarlier(LintContext context, string removeType, string name) => context.Remembered<Dropped>().Objects.Contains((removeType, name));

    /// <summary>An earlier <c>ALTER TABLE ... DROP CONSTRAINT IF EXISTS</c> of this constraint on this table.</summary>
    private static bool ConstraintDroppedEarlier(LintContext context, RelationName? table, string name) =>
        table is { } t && context.Remembered<Dropped>().Constraints.Contains((LintContext.Normalize(t), name));

    /// <summary>What the statements so far dropped with IF EXISTS: objects by kind and (last) name, constraints by table and name.</summary>
    internal sealed class Dropped
    {
        public HashSet<(string RemoveType, string Name)> Objects { get; } = [];

        public HashSet<(RelationName Table, string Name)> Constraints { get; } = [];
    }

    /// <summary>Notes the DROP ... IF EXISTS and DROP CONSTRAINT IF EXISTS of a statement as the linter moves past it.</summary>
    internal static void Remember(LintStatement statement, LintContext context)
    {
        var root = statement.Tree.Root;
        if (root.Kind == "DropStmt" && root.Bool("missing_ok") && root.String("removeType") is { } removeType)
        {
            foreach (var names in root.Nodes("objects").Select(o => o.Names("items")).Where(n => n.Count > 0))
            {
                context.Remembered<Dropped>().Objects.Add((removeType, names[^1]));
            }
        }
        if (statement.Tree.Target is { } table)
        {
            foreach (var command in statement.Tree.AlterTableCommands.Where(c => c.Subtype == "AT_DropConstraint" && c.MissingOk && c.Name is not null))
            {
                context.Remembered<Dropped>().Constraints.Add((LintContext.Normalize(table), command.Name!));
            }
        }
    }
}
