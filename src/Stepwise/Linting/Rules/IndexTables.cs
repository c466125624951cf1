using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>
/// The table behind an index a statement names only by its own name (DROP INDEX, REINDEX INDEX).
/// Offline that is knowable only for an index created earlier in the same file.
/// </summary>
internal static class IndexTables
{
    /// <summary>The table of the last CREATE INDEX of that name before this statement, or null.</summary>
    public static RelationName? TableOf(RelationName index, LintContext context) =>
        context.Remembered<Created>().TryGetValue(LintContext.Normalize(index), out var table) ? table : null;

    /// <summary>Indexes created so far (their names in their table's schema) and their tables.</summary>
    internal sealed class Created : Dictionary<RelationName, RelationName>;

    /// <summary>Notes a named CREATE INDEX as the linter moves past it (a later one of the same name wins).</summary>
    internal static void Remember(LintStatement statement, LintContext context)
    {
        // An index lives in its table's schema.
        if (statement.Tree.Index is { Name: { } name } created)
        {
            context.Remembered<Created>()[LintContext.Normalize(new RelationName(created.Table.Schema, name))] = created.Table;
        }
    }
}
