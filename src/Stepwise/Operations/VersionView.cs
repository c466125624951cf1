using Stepwise.Catalog;
using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary>
/// How the new version sees the tables of one migration that old and new code cannot share: tables renamed or
/// hidden, columns renamed, hidden, or read from a copy (a type change). The physical tables keep their old shape
/// until complete, so old code keeps working on them (or on the previous version's views); the new version reads
/// and writes through one view per table in the migration's version schema. At complete the tables take the shape
/// the views show (renames), which is why the renames are derived from here rather than planned by each operation.
/// </summary>
internal sealed class VersionView
{
    private readonly Dictionary<(string Schema, string Table), TableView> _tables = [];
    private readonly List<Step> _afterRenames = [];

    /// <summary>True once an operation changed what the new version sees.</summary>
    public bool Needed => _tables.Count > 0;

    /// <summary>The base schemas whose tables the version shows differently.</summary>
    public IEnumerable<string> Schemas => _tables.Keys.Select(k => k.Schema).Distinct(StringComparer.Ordinal);

    /// <summary>The name the new version gives <paramref name="table"/> (its own name unless renamed).</summary>
    public string NameOf(TableModel table) => _tables.TryGetValue((table.Schema, table.Name), out var view) ? view.Name : table.Name;

    /// <summary>The physical table the new version calls <paramref name="name"/> in <paramref name="schema"/>, when a rename gave it that name.</summary>
    public (string Schema, string Table)? RenamedTo(string schema, string name) =>
        _tables.FirstOrDefault(t => t.Key.Schema == schema && t.Value.Name == name && !t.Value.Hidden && t.Key.Table != name) is { Value: not null } hit ? hit.Key : null;

    public void RenameTable(TableModel table, string to) => Of(table).Name = to;

    public void HideTable(TableModel table) => Of(table).Hidden = true;

    public void RenameColumn(TableModel table, string column, string to) => Column(table, column).Name = to;

    public void HideColumn(TableModel table, string column) => Of(table).Columns.Remove(Column(table, column));

    /// <summary>The new version reads and writes <paramref name="column"/> in <paramref name="copy"/>.</summary>
    public void ReadFrom(TableModel table, string column, string copy) => Column(table, column).Source = copy;

    /// <summary>A column added to a table whose view this migration changes (other tables' views show every column anyway).</summary>
    public void Added(TableModel table, string column)
    {
        if (_tables.TryGetValue((table.Schema, table.Name), out var view) && view.Columns.All(c => c.Source != column))
        {
            view.Columns.Add(new ViewColumn(column, column));
        }
    }

    /// <summary>A complete step that needs the columns under their final names (a check re-added on a swapped column).</summary>
    public void AfterRenames(Step step) => _afterRenames.Add(step);

    /// <summary>
    /// Start: the version schema, marked as such by its comment, and one view per table of <paramref name="baseSchema"/>
    /// as the new version sees it (security_invoker, so row-level security and privileges apply to the caller; simple
    /// enough to be auto-updatable; the tables' comments). Rollback: the schema dropped with its views. Complete, after
    /// the operations' own steps: the columns and tables renamed to what the views show (metadata only).
    /// </summary>
    public void Plan(PlanBuilder plan, string baseSchema, string versionSchema, string migration)
    {
        var schema = Quote.Ident(versionSchema);
        plan.Start(Steps.Sql($"version schema {versionSchema}", $"CREATE SCHEMA {schema}"),
            Steps.Sql($"drop version schema {versionSchema} and its views", $"DROP SCHEMA IF EXISTS {schema} CASCADE"));
        plan.Start(Steps.Sql($"mark {versionSchema} as the version schema of {migration}", $"COMMENT ON SCHEMA {schema} IS {Quote.Literal(VersionSchemas.Comment(migration))}"));
        foreach (var table in plan.Schema.Tables.Where(t => t.Schema == baseSchema && t.PartitionOf is null))
        {
            _tables.TryGetValue((table.Schema, table.Name), out var view);
            if (view?.Hidden == true)
            {
                continue;
            }
            var columns = view?.Columns ?? [.. table.Columns.Select(c => new ViewColumn(c.Name, c.Name))];
            var name = Quote.Ident(versionSchema, view?.Name ?? table.Name);
            var list = string.Join(", ", columns.Select(c => c.Name == c.Source ? Quote.Ident(c.Name) : $"{Quote.Ident(c.Source)} AS {Quote.Ident(c.Name)}"));
            plan.Start(Steps.Sql($"view {versionSchema}.{view?.Name ?? table.Name} of {table.QualifiedName}",
                $"CREATE VIEW {name} WITH (security_invoker = true) AS SELECT {list} FROM {Quote.Ident(table.Schema, table.Name)}"));
            var comments = new List<string>();
            if (table.Comment is { } comment)
            {
                comments.Add($"COMMENT ON VIEW {name} IS {Quote.Literal(comment)}");
            }
            comments.AddRange(columns.Select(c => (c, table.Columns.FirstOrDefault(x => x.Name == c.Source)?.Comment))
                .Where(x => x.Comment is not null).Select(x => $"COMMENT ON COLUMN {name}.{Quote.Ident(x.c.Name)} IS {Quote.Literal(x.Comment!)}"));
            foreach (var sql in comments)
            {
                plan.Start(Steps.Sql($"comment on view {versionSchema}.{view?.Name ?? table.Name}", sql));
            }
        }
        foreach (var ((_, physical), view) in _tables.Where(t => t.Key.Schema == baseSchema && !t.Value.Hidden))
        {
            var table = Quote.Ident(baseSchema, physical);
            foreach (var column in view.Columns.Where(c => c.Name != c.Source))
            {
                plan.Complete(Steps.Sql($"rename column {baseSchema}.{physical}.{column.Source} to {column.Name} (the name the version shows)",
                    $"ALTER TABLE {table} RENAME COLUMN {Quote.Ident(column.Source)} TO {Quote.Ident(column.Name)}"));
            }
        }
        foreach (var step in _afterRenames)
        {
            plan.Complete(step);
        }
        foreach (var ((_, physical), view) in _tables.Where(t => t.Key.Schema == baseSchema && !t.Value.Hidden && t.Value.Name != t.Key.Table))
        {
            plan.Complete(Steps.Sql($"rename table {baseSchema}.{physical} to {view.Name}", $"ALTER TABLE {Quote.Ident(baseSchema, physical)} RENAME TO {Quote.Ident(view.Name)}"));
        }
    }

    private TableView Of(TableModel table)
    {
        if (!_tables.TryGetValue((table.Schema, table.Name), out var view))
        {
            view = new TableView(table.Name, [.. table.Columns.Select(c => new ViewColumn(c.Name, c.Name))]);
            _tables[(table.Schema, table.Name)] = view;
        }
        return view;
    }

    private ViewColumn Column(TableModel table, string column) =>
        Of(table).Columns.FirstOrDefault(c => c.Source == column) ?? Of(table).Columns.FirstOrDefault(c => c.Name == column)
        ?? throw new InvalidOperationException($"{table.QualifiedName}.{column} is not visible to the new version");

    private sealed class TableView(string name, List<ViewColumn> columns)
    {
        public string Name { get; set; } = name;

        public bool Hidden { get; set; }

        public List<ViewColumn> Columns { get; } = columns;
    }

    private sealed class ViewColumn(string name, string source)
    {
        public string Name { get; set; } = name;

        public string Source { get; set; } = source;
    }
}
