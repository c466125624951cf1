using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;
using Stepwise.Cli.Rendering;

namespace Stepwise.Cli.Commands;

/// <summary><c>stepwise repair --yes</c>: bring history in line with intended changes, each printed.</summary>
internal sealed class RepairCommand : ICliCommand
{
    private readonly Option<bool> _yes = new("--yes", "-y") { Description = "Make the changes (without it, they are only listed)" };

    public Command Build()
    {
        var command = new Command("repair", "Re-record checksums after an intended edit, clear failed attempts, forget history rows whose file is gone; lists the changes, makes them with --yes");
        command.Options.Add(_yes);
        return command;
    }

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var yes = parse.GetValue(_yes);
        var changes = await context.CreateMigrator().RepairAsync(yes, cancellationToken);
        var output = context.Output;
        if (output.Format == OutputFormat.Json)
        {
            output.WriteJson(new JsonObject { ["applied"] = yes, ["changes"] = new JsonArray([.. changes.Select(c => new JsonObject { ["version"] = c.Version == 0 ? null : c.Version, ["file"] = c.File, ["action"] = c.Action })]) });
        }
        else
        {
            foreach (var change in changes)
            {
                output.Console.WriteLine($"{change.File}: {change.Action}");
            }
            output.Console.WriteLine(changes.Count == 0 ? "nothing to repair"
                : yes ? $"repaired {changes.Count} history row(s)" : $"{changes.Count} change(s) listed; nothing was changed: run again with --yes to make them");
        }
        // Without --yes, pending repairs are a finding: scripts must not mistake the listing for a repair.
        return changes.Count > 0 && !yes ? ExitCodes.ChecksFailed : ExitCodes.Success;
    }
}
