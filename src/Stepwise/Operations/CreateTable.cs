using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary><c>create_table</c>: a new table with its columns and table constraints.</summary>
public sealed record CreateTable(string Name, IReadOnlyList<ColumnDefinition> Columns, IReadOnlyList<TableConstraint> Constraints, string? Comment = null) : Operation
{
    /// <inheritdoc />
    public override string Kind => "create_table";

    /// <summary>Start: the table with its columns and constraints (new, so nothing waits on it). Rollback: dropped.</summary>
    public override void Plan(PlanBuilder plan)
    {
        var (schema, name) = PlanBuilder.Split(Name);
        if (plan.Schema.Tables.Any(t => t.Schema == schema && t.Name == name))
        {
            throw new PlanningException($"table {schema}.{name} already exists", Position, "choose another name");
        }
        var lines = new List<string>();
        foreach (var c in Columns)
        {
            lines.Add($"{Quote.Ident(c.Name)} {c.Type}"
                + (c.Identity is { } identity ? $" GENERATED {(identity == "always" ? "ALWAYS" : "BY DEFAULT")} AS IDENTITY{(c.IdentityOptions is null ? "" : $" ({c.IdentityOptions})")}" : "")
                + (c.Generated is { } generated ? $" GENERATED ALWAYS AS ({generated}) STORED" : "")
                + (c.Default is null ? "" : $" DEFAULT {c.Default}")
                + (c.Nullable || c.Pk ? "" : " NOT NULL")
                + (c.Unique ? " UNIQUE" : "")
                + (c.Check is { } check ? $" CONSTRAINT {Quote.Ident(check.Name)} {ColumnRecipes.Check(check)}" : ""));
            if (c.References is { } fk)
            {
                lines.Add($"CONSTRAINT {Quote.Ident(fk.Name)} {ColumnRecipes.ForeignKey(c.Name, fk)}");
            }
        }
        var pk = Columns.Where(c => c.Pk).Select(c => Quote.Ident(c.Name)).ToList();
        if (pk.Count > 0)
        {
            lines.Add($"PRIMARY KEY ({string.Join(", ", pk)})");
        }
        foreach (var k in Constraints)
        {
            var columns = string.Join(", ", k.Columns.Select(Quote.Ident));
            var deferral = k.InitiallyDeferred ? " DEFERRABLE INITIALLY DEFERRED" : k.Deferrable ? " DEFERRABLE" : "";
            lines.Add($"CONSTRAINT {Quote.Ident(k.Name)} " + k.Type switch
            {
                "primary_key" => $"PRIMARY KEY ({columns}){deferral}",
                "unique" => $"UNIQUE{(k.NullsNotDistinct ? " NULLS NOT DISTINCT" : "")} ({columns}){deferral}",
                "check" => $"CHECK ({k.Check}){(k.NoInherit ? " NO INHERIT" : "")}",
                _ => ColumnRecipes.ForeignKey(k.Columns, k.References!.Table, k.References.Columns, k.References.OnDelete, k.References.OnUpdate, k.References.MatchType,
                    k.Deferrable, k.InitiallyDeferred),
            });
        }
        var table = Quote.Ident(schema, name);
        plan.Added(new Catalog.TableModel(schema, name, "table", false, false, Comment,
            [.. Columns.Select(c => new Catalog.ColumnModel(c.Name, c.Type, !c.Nullable || c.Pk, c.Default, c.Identity, null, null, c.Comment))],
            pk.Count == 0 ? [] : [new Catalog.ConstraintModel($"{name}_pkey", "primary key", "", true, false, false, Columns: [.. Columns.Where(c => c.Pk).Select(c => c.Name)])]));
        plan.Start(Steps.Sql($"create table {schema}.{name}", $"CREATE TABLE {table} (\n    {string.Join(",\n    ", lines)}\n)"),
            Steps.Sql($"drop table {schema}.{name}", $"DROP TABLE IF EXISTS {table}"));
        if (Comment is not null)
        {
            plan.Start(Steps.Sql($"comment on {schema}.{name}", $"COMMENT ON TABLE {table} IS {Quote.Literal(Comment)}"));
        }
        foreach (var c in Columns.Where(c => c.Comment is not null))
        {
            plan.Start(Steps.Sql($"comment on {schema}.{name}.{c.Name}", $"COMMENT ON COLUMN {table}.{Quote.Ident(c.Name)} IS {Quote.Literal(c.Comment!)}"));
        }
    }
}

/// <summary>A table constraint of <c>create_table</c> (pgroll's <c>constraints</c>).</summary>
/// <param name="Type"><c>unique</c>, <c>check</c>, <c>primary_key</c> or <c>foreign_key</c>.</param>
/// <param name="NullsNotDistinct">pgroll's <c>nulls_not_distinct</c> (unique only).</param>
/// <param name="NoInherit">pgroll's <c>no_inherit</c> (check only).</param>
public sealed record TableConstraint(string Name, string Type, IReadOnlyList<string> Columns, string? Check = null, ForeignKeyTarget? References = null,
    bool Deferrable = false, bool InitiallyDeferred = false, bool NullsNotDistinct = false, bool NoInherit = false);

/// <summary>The referenced side of a multi-column foreign key.</summary>
/// <param name="OnUpdate">pgroll's <c>on_update</c>.</param>
/// <param name="MatchType">pgroll's <c>match_type</c>: <c>SIMPLE</c> (default) or <c>FULL</c>.</param>
public sealed record ForeignKeyTarget(string Table, IReadOnlyList<string> Columns, string OnDelete = "NO ACTION", string OnUpdate = "NO ACTION", string MatchType = "SIMPLE");
