using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Catalog;
using Stepwise.Cli.Rendering;
using Stepwise.Connections;
using Stepwise.Execution;
using Stepwise.Verification;

namespace Stepwise.Cli.Commands;

/// <summary>
/// <c>stepwise diff FROM TO</c>: each side a database URL, a migration directory (replayed on a
/// throwaway PostgreSQL) or a saved JSON model (<c>stepwise inspect --format json</c>).
/// </summary>
internal sealed class DiffCommand : ICliCommand
{
    private readonly Argument<string> _from = new("from") { Description = "A database URL, a migration directory, or a saved model (.json)" };
    private readonly Argument<string> _to = new("to") { Description = "Likewise" };
    private readonly DevUrlOption _devUrl = new();
    private readonly SetupOption _setup = new();

    public Command Build()
    {
        var command = new Command("diff", "Compare two schemas (databases, migration directories replayed on a throwaway PostgreSQL, or saved JSON models); exit 1 when they differ; --format sql writes the SQL from FROM to TO");
        command.Arguments.Add(_from);
        command.Arguments.Add(_to);
        command.Options.Add(_devUrl.Option);
        command.Options.Add(_setup.Option);
        return command;
    }

    public IReadOnlyList<string> Formats => ["text", "json", "sql"];

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var devUrl = _devUrl.Resolve(context, parse);
        var from = await LoadAsync(context, parse, parse.GetValue(_from)!, devUrl, cancellationToken);
        var to = await LoadAsync(context, parse, parse.GetValue(_to)!, devUrl, cancellationToken);
        var changes = SchemaDiff.Compare(from, to);
        if (context.FormatName == "sql")
        {
            context.Output.WriteRaw(SchemaSql.Render(from, to));
            return changes.Count == 0 ? ExitCodes.Success : ExitCodes.ChecksFailed;
        }
        return Report(context, changes, "the schemas are the same");
    }

    internal static int Report(CliContext context, IReadOnlyList<SchemaChange> changes, string same)
    {
        if (context.Output.Format == OutputFormat.Json)
        {
            context.Output.WriteJson(new JsonObject { ["differences"] = new JsonArray([.. changes.Select(c => new JsonObject { ["kind"] = c.Kind.ToString().ToLowerInvariant(), ["type"] = c.ObjectType, ["name"] = c.Name, ["detail"] = c.Detail })]) });
        }
        else
        {
            foreach (var change in changes)
            {
                context.Output.WriteRaw(change + "\n");
            }
            context.Output.WriteRaw(changes.Count == 0 ? same + "\n" : $"{changes.Count} difference(s)\n");
        }
        return changes.Count == 0 ? ExitCodes.Success : ExitCodes.ChecksFailed;
    }

    private async Task<SchemaModel> LoadAsync(CliContext context, ParseResult parse, string source, string? devUrl, CancellationToken cancellationToken)
    {
        context.Output.AddSecretsOf(source); // a malformed URL is echoed in the error below
        var path = Path.GetFullPath(source, context.Environment.WorkingDirectory);
        if (Directory.Exists(path))
        {
            context.Output.Info($"replaying {source} on {DevUrlOption.Where(devUrl)}…");
            return await _setup.ReplayAsync(context, parse, path, null, devUrl, "diff", cancellationToken);
        }
        if (File.Exists(path))
        {
            try
            {
                return JsonSerializer.Deserialize(await File.ReadAllTextAsync(path, cancellationToken), SchemaModelJson.Default.SchemaModel)
                    ?? throw new CliException(ExitCodes.BadInput, $"{source}: empty model");
            }
            catch (JsonException ex)
            {
                throw new CliException(ExitCodes.BadInput, $"{source}:{(ex.LineNumber ?? 0) + 1}:{(ex.BytePositionInLine ?? 0) + 1}: not a saved model (stepwise inspect --format json): {ex.Message.Split(" Path:")[0]}");
            }
        }
        DatabaseTarget target;
        try
        {
            target = DatabaseTarget.Parse(source);
        }
        catch (FormatException)
        {
            throw new CliException(ExitCodes.BadInput, $"{source}: neither a directory, a file, nor a database URL; give a migration directory, a model saved with stepwise inspect --format json, or a postgres:// URL");
        }
        context.Output.AddSecret(target.Password);
        return await CatalogReader.ReadAsync(target.ConnectionString, context.StateSchema, cancellationToken);
    }
}
