using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary>Small builders for the steps operations share.</summary>
internal static class Steps
{
    /// <summary>A statement step, carrying the strongest lock PostgreSQL's parse tree says it takes (the linter's own table).</summary>
    public static Step Sql(string description, string sql, bool inTransaction = true)
    {
        var parsed = SqlParser.Parse(sql);
        var locks = parsed.Statements.Count == 1 && parsed.Statements[0].Tree is { } tree ? StatementLocks.For(tree) : [];
        var strongest = locks.OrderByDescending(l => l.Level).FirstOrDefault();
        return new()
        {
            Description = description, Sql = sql, InTransaction = inTransaction, Lock = strongest?.Level ?? LockLevel.None,
            LockTarget = strongest is null ? null : $"{strongest.Relation.Schema ?? "public"}.{strongest.Relation.Name}",
        };
    }

    public static Step Check(string description, string query, string target) =>
        new() { Description = description, Kind = StepKind.Check, Sql = query, Lock = LockLevel.AccessShare, LockTarget = target };

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
        foreach (var statement in script.Statements.Where(s => s.Kind == StatementKind.Sql))
        {
            yield return Sql($"{what}: {statement.CommandTag}", statement.Text, inTransaction: statement.Tree?.CannotRunInTransaction != true);
        }
    }
}
