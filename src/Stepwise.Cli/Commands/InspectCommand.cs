using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Stepwise.Catalog;
using Stepwise.Cli.Rendering;

namespace Stepwise.Cli.Commands;

/// <summary><c>stepwise inspect</c>: the catalog model of a database (read only).</summary>
internal sealed class InspectCommand : ICliCommand
{
    public Command Build() => new("inspect", "Show the schema model of the database (tables, columns, constraints, indexes, views, ...); --format json saves it for stepwise diff");

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var model = await CatalogReader.ReadAsync(context.RequireDatabase().ConnectionString, context.StateSchema, cancellationToken);
        if (context.Output.Format == OutputFormat.Json)
        {
            context.Output.WriteJson(model);
            return ExitCodes.Success;
        }
        var console = context.Output.Console;
        foreach (var table in model.Tables)
        {
            console.MarkupLine($"[bold]{Markup.Escape(table.QualifiedName)}[/]{(table.Kind == "table" ? "" : $" ({table.Kind})")}");
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
        console.WriteLine($"{model.Tables.Count} table(s), {model.Indexes.Count} index(es), {model.Views.Count} view(s), {model.Sequences.Count} sequence(s), " +
            $"{model.Enums.Count} enum(s), {model.Functions.Count} function(s), {model.Triggers.Count} trigger(s)");
        return ExitCodes.Success;
    }

    internal static readonly JsonSerializerOptions ModelJson = new() { PropertyNameCaseInsensitive = true };
}
