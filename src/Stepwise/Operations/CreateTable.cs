using Stepwise.Planning;
using Stepwise.Sql;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Stepwise.Operations;

/// <summary><c>create_table</c>: a new table with its columns and table constraints.</summary>
public sealed record CreateTable(string Name, IReadOnlyList<ColumnDefinition> Columns, IReadOnlyList<TableConstraint> Constraints, string? Comment = null)
    : Operation, IOperationFormat
{
    static OperationFormat IOperationFormat.Format { get; } = new("create_table", ["name", "columns", "constraints", "comment"], Read);

    private static CreateTable? Read(YamlFields f)
    {
        var context = f.Context;
        var name = f.String("name", required: true);
        var columns = new List<ColumnDefinition>();
        switch (f.Value("columns"))
        {
            case null:
                f.Missing("columns");
                break;
            case YamlSequenceNode { Children.Count: > 0 } list:
                foreach (var item in list.Children)
                {
                    if (ColumnDefinition.From(context, item, $"{f.What}.columns[]") is { } column)
                    {
                        columns.Add(column);
                    }
                }
                break;
            case var other:
                context.Error(other, other is YamlSequenceNode ? "empty-value" : "wrong-type",
                    $"{f.What}.columns must be a non-empty list of columns, not {(other is YamlSequenceNode ? "an empty list" : YamlFileContext.Describe(other))}",
                    "list the columns, each - name: ... type: ...");
                break;
        }
        var constraints = new List<TableConstraint>();
        switch (f.Value("constraints"))
        {
            case null:
                break;
            case YamlSequenceNode list:
                foreach (var item in list.Children)
                {
                    if (item is not YamlMappingNode constraintNode)
                    {
                        context.Error(item, "wrong-type", $"each item of {f.What}.constraints must be a mapping, not {YamlFileContext.Describe(item)}");
                        continue;
                    }
                    if (TableConstraint.Read(new YamlFields(context, constraintNode, $"{f.What}.constraints[]", TableConstraint.Fields)) is { } constraint)
                    {
                        constraints.Add(constraint);
                    }
                }
                break;
            case var other:
                context.Error(other, "wrong-type", $"{f.What}.constraints must be a list, not {YamlFileContext.Describe(other)}");
                break;
        }
        var comment = f.String("comment");
        foreach (var duplicate in columns.GroupBy(c => c.Name).Where(g => g.Count() > 1))
        {
            var second = duplicate.ElementAt(1).Position;
            context.Error(new Mark(0, second.Line, second.Column), "duplicate-column", $"{f.What} has two columns named '{duplicate.Key}'", "rename or remove one");
        }
        return name is null ? null : new CreateTable(name, columns, constraints, comment);
    }

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
        var names = Columns.Select(c => c.Name).ToList();
        foreach (var k in Constraints)
        {
            k.IndexParameters?.RequireColumns(names, $"{schema}.{name}", Position);
            lines.Add($"CONSTRAINT {Quote.Ident(k.Name)} {k.Definition}");
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
/// <param name="Type"><c>unique</c>, <c>check</c>, <c>primary_key</c>, <c>foreign_key</c> or <c>exclude</c>.</param>
/// <param name="NullsNotDistinct">pgroll's <c>nulls_not_distinct</c> (unique only).</param>
/// <param name="NoInherit">pgroll's <c>no_inherit</c> (check only).</param>
/// <param name="Exclude">For <c>exclude</c>: the index method, elements and predicate.</param>
/// <param name="IndexParameters">pgroll's <c>index_parameters</c> (unique, primary key and exclusion constraints).</param>
public sealed record TableConstraint(string Name, string Type, IReadOnlyList<string> Columns, string? Check = null, ForeignKeyTarget? References = null,
    bool Deferrable = false, bool InitiallyDeferred = false, bool NullsNotDistinct = false, bool NoInherit = false, ExclusionConstraint? Exclude = null,
    IndexParameters? IndexParameters = null)
{
    /// <summary>The constraint types of <c>create_table</c>'s constraints and of <c>create_constraint</c>.</summary>
    internal static readonly string[] Types = ["check", "foreign_key", "unique", "primary_key", "exclude"];

    /// <summary>The constraint as <c>CONSTRAINT name ...</c> continues in a table's definition.</summary>
    public string Definition
    {
        get
        {
            var columns = string.Join(", ", Columns.Select(Quote.Ident));
            var deferral = InitiallyDeferred ? " DEFERRABLE INITIALLY DEFERRED" : Deferrable ? " DEFERRABLE" : "";
            var parameters = IndexParameters?.ConstraintClause;
            return Type switch
            {
                "primary_key" => $"PRIMARY KEY ({columns}){parameters}{deferral}",
                "unique" => $"UNIQUE{(NullsNotDistinct ? " NULLS NOT DISTINCT" : "")} ({columns}){parameters}{deferral}",
                "check" => $"CHECK ({Check}){(NoInherit ? " NO INHERIT" : "")}",
                "exclude" => $"{Exclude!.Definition(IndexParameters)}{deferral}",
                _ => ColumnRecipes.ForeignKey(Columns, References!.Table, References.Columns, References.OnDelete, References.OnUpdate, References.MatchType, Deferrable, InitiallyDeferred),
            };
        }
    }

    internal static readonly string[] Fields =
        ["name", "type", "columns", "check", "references", "deferrable", "initially_deferred", "nulls_not_distinct", "no_inherit", "exclude", "index_parameters"];

    internal static TableConstraint? Read(YamlFields f)
    {
        var name = f.String("name", required: true);
        var type = f.Enum("type", Types, required: true);
        var exclude = type == "exclude" ? ExclusionConstraint.Read(f) : null;
        var parameters = IndexParameters.Read(f);
        Refuse(f, type);
        var columns = f.StringList("columns") ?? [];
        var check = type == "check" ? f.Sql("check", SqlFragment.Expression, required: true) : f.String("check");
        var references = type == "foreign_key" ? ForeignKeyTarget.Read(f, required: true) : null;
        if (type is "unique" or "primary_key" or "foreign_key" && columns.Count == 0 && f.Value("columns") is null)
        {
            f.Missing("columns", $"a {type} constraint names its columns: columns: [a, b]");
        }
        return name is null || type is null
            ? null
            : new TableConstraint(name, type, columns, check, references, f.Bool("deferrable") ?? false, f.Bool("initially_deferred") ?? false,
                f.Bool("nulls_not_distinct") ?? false, f.Bool("no_inherit") ?? false, exclude, parameters);
    }

    /// <summary>Fields that mean nothing for the constraint's type (<c>exclude</c> on a check, index parameters on a foreign key) are errors, not silently dropped.</summary>
    internal static void Refuse(YamlFields f, string? type)
    {
        if (type is not null and not "exclude" && f.Value("exclude") is { } exclude && !YamlFileContext.IsNull(exclude) && exclude is not YamlMappingNode { Children.Count: 0 })
        {
            f.Context.Error(f.Key("exclude")!, "wrong-value", $"{f.What}.exclude describes an exclusion constraint, but type is {type}", "use type: exclude, or remove exclude");
        }
        if (type is "check" or "foreign_key" && f.Value("index_parameters") is YamlMappingNode { Children.Count: > 0 })
        {
            f.Context.Error(f.Key("index_parameters")!, "wrong-value", $"{f.What}.index_parameters are for unique, primary_key and exclude constraints, not {type}",
                "remove index_parameters");
        }
    }
}
