using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary>Small builders for the steps operations share.</summary>
internal static class Steps
{
    /// <summary>
    /// A statement step, carrying the strongest lock PostgreSQL's parse tree says it takes (the linter's own table)
    /// and whether it can run in a transaction. The text must be exactly one statement: text from the file that
    /// turned it into more (a type, a storage parameter) is refused rather than run.
    /// </summary>
    public static Step Sql(string description, string sql) => Sql(description, SqlParser.Parse(sql), sql);

    private static Step Sql(string description, SqlScript parsed, string sql) =>
        parsed.IsValid && parsed.Statements is [{ Tree: { } tree }]
            ? From(description, sql, tree)
            : throw new StepSqlException($"it would run {(parsed.IsValid ? $"{parsed.Statements.Count} statements" : "text PostgreSQL cannot parse")}, not one: {sql}");

    private static Step From(string description, string sql, StatementTree tree)
    {
        var strongest = StatementLocks.For(tree).OrderByDescending(l => l.Level).FirstOrDefault();
        return new()
        {
            Description = description, Sql = sql, InTransaction = !tree.RunsOutsideTransaction, Done = tree.RunsOutsideTransaction ? DoneCheck.For(tree) : null, Lock = strongest?.Level ?? LockLevel.None,
            LockTarget = strongest?.Relation.Qualified,
        };
    }

    /// <summary>A query that must return no rows, with the lock it reads under.</summary>
    public static Step Check(string description, string query) => Sql(description, query) with { Kind = StepKind.Check };

    public static Step Backfill(string description, BackfillSpec spec) =>
        new() { Description = description, Kind = StepKind.Backfill, Backfill = spec, Lock = LockLevel.RowExclusive, LockTarget = $"{spec.Schema}.{spec.Table}" };

    /// <summary>
    /// True when <paramref name="expression"/> is a constant (a literal, possibly cast), so that
    /// <c>ADD COLUMN ... DEFAULT</c> stores it once instead of rewriting the table.
    /// </summary>
    public static bool IsConstant(string expression)
    {
        var parsed = SqlParser.Parse("SELECT " + expression);
        if (!parsed.IsValid || parsed.Statements.Count != 1 || parsed.Statements[0].Tree is not { } tree)
        {
            return false;
        }
        var kinds = tree.Root.Descendants().Select(n => n.Kind).ToHashSet(StringComparer.Ordinal);
        return !kinds.Overlaps(["FuncCall", "SubLink", "ColumnRef", "SQLValueFunction", "ParamRef", "A_Expr"]);
    }

    /// <summary>The statements of an SQL text (a sql operation's up, down or complete), each a step.</summary>
    public static IEnumerable<Step> SqlText(string what, string text)
    {
        var script = SqlParser.Parse(text);
        foreach (var statement in script.Statements.Where(s => s is { Kind: StatementKind.Sql, Tree: not null }))
        {
            yield return From($"{what}: {statement.CommandTag}", statement.Text, statement.Tree!);
        }
    }
}

/// <summary>Generated SQL is not exactly one statement (text from the file made it more, or broke it); <see cref="PlanBuilder.PlanAll"/> gives it the operation's position.</summary>
internal sealed class StepSqlException(string message) : Exception(message);
