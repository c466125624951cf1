using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Stepwise.Catalog;
using Stepwise.Cli.Rendering;

namespace Stepwise.Cli.Commands;

/// <summary><c>stepwise inspect</c>: the catalog model of a database (read only).</summary>
internal sealed class InspectCommand : ICliCommand
{
    public Command Build() => new("inspect", "Show the schema model of the database (tables, columns, constraints, indexes, views, ...); --format json saves it for stepwise diff, --format sql writes the SQL that creates it");

    public IReadOnlyList<string> Formats => ["text", "json", "sql"];

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var model = await CatalogReader.ReadAsync(context.RequireDatabase().ConnectionString, context.StateSchema, cancellationToken);
        if (context.FormatName == "sql")
        {
            context.Output.WriteRaw(SchemaSql.Render(SchemaSql.NewDatabase, model));
            return ExitCodes.Success;
        }
        if (context.Output.Format == OutputFormat.Json)
        {
            context.Output.WriteJson(model, Output.Types.SchemaModel);
            return ExitCodes.Success;
        }
        var console = context.Output.Console;
        foreach (var table in model.Tables)
        {
            console.MarkupLine($"[bold]{Output.Escape(table.QualifiedName)}[/]{(table.Kind == "table" ? "" : $" ({table.Kind})")}");
            foreach (var c in table.Columns)
            {
                var extra = string.Join(' ', new[] { c.NotNull ? "not null" : null, c.Default is null ? null : $"default {c.Default}", c.Identity is null ? null : $"identity {c.Identity}",
                    c.Generated is null ? null : $"generated {c.Generated}" }.OfType<string>());
                console.WriteLine($"  {c.Name} {c.Type} {extra}".TrimEnd());
            }
            foreach (var k in table.Constraints)
            {
                console.WriteLine($"  constraint {k.Name}: {k.Definition}{(k.Validated ? "" : " NOT VALID")}");
            }
        }
        foreach (var index in model.Indexes)
        {
            console.WriteLine($"{index.Definition}{(index.Valid ? "" : "  -- INVALID")}");
        }
        foreach (var view in model.Views)
        {
            console.WriteLine($"{(view.Materialized ? "materialized view" : "view")} {view.Schema}.{view.Name}");
        }
        foreach (var type in model.Enums)
        {
            console.WriteLine($"enum {type.Schema}.{type.Name} ({string.Join(", ", type.Labels)})");
        }
        foreach (var domain in model.Domains)
        {
            console.WriteLine($"domain {domain.Schema}.{domain.Name} {domain.Type}{(domain.NotNull ? " not null" : "")}{string.Concat(domain.Constraints.Select(k => $" {k.Definition}"))}");
        }
        foreach (var type in model.CompositeTypes)
        {
            console.WriteLine($"type {type.Schema}.{type.Name} ({SchemaDiff.Attributes(type)})");
        }
        foreach (var function in model.Functions)
        {
            console.WriteLine($"{function.Kind} {function.Schema}.{function.Signature}{(function.Returns.Length == 0 ? "" : $" returns {function.Returns}")} ({function.Language}, {function.Volatility})");
        }
        foreach (var trigger in model.Triggers)
        {
            console.WriteLine($"{trigger.Definition}{(trigger.Enabled ? "" : "  -- disabled")}");
        }
        foreach (var policy in model.Policies)
        {
            console.WriteLine($"policy {policy.Name} on {policy.Schema}.{policy.Table} for {policy.Command} to {string.Join(", ", policy.Roles)}");
        }
        console.WriteLine($"{model.Tables.Count} table(s), {model.Indexes.Count} index(es), {model.Views.Count} view(s), {model.Sequences.Count} sequence(s), " +
            $"{model.Enums.Count} enum(s), {model.Domains.Count} domain(s), {model.CompositeTypes.Count} composite type(s), {model.Functions.Count} function(s), " +
            $"{model.Triggers.Count} trigger(s), {model.Policies.Count} polic{(model.Policies.Count == 1 ? "y" : "ies")}");
        return ExitCodes.Success;
    }
}
