using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>
/// The table behind an index a statement names only by its own name (DROP INDEX, REINDEX INDEX).
/// Offline that is knowable only for an index created earlier in the same file.
/// </summary>
internal static class IndexTables
{
    /// <summary>The table of the last CREATE INDEX of that name before this statement, or null.</summary>
    public static RelationName? TableOf(RelationName index, LintContext context)
    {
        var wanted = LintContext.Normalize(index);
        foreach (var earlier in context.EarlierOfKind("IndexStmt").Reverse())
        {
            // An index lives in its table's schema.
            if (earlier.Tree.Index is { Name: { } name } created
                && LintContext.Normalize(new RelationName(created.Table.Schema, name)) == wanted)
            {
                return created.Table;
            }
        }
        return null;
    }
}
