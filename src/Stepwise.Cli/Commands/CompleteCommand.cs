using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;
using Stepwise.Cli.Rendering;

namespace Stepwise.Cli.Commands;

/// <summary><c>stepwise complete</c>: the contract phase of the started operation migration.</summary>
internal sealed class CompleteCommand : ICliCommand
{
    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Print the complete phase's steps and locks; change nothing" };
    private readonly GateOptions _gate = new();
    private readonly RunOptions _run = new();

    public Command Build()
    {
        var command = new Command("complete", "Run the contract phase of the started operation migration (once every application instance runs the new code): SET NOT NULL, helpers dropped, ...; refuses while instances of an older schema version are alive (--wait, --force)");
        command.Options.Add(_dryRun);
        _gate.AddTo(command);
        _run.AddTo(command);
        return command;
    }

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var result = await context.CreateMigrator(o =>
        {
            _run.Configure(parse, o);
            _gate.Configure(parse, o);
        }).CompleteAsync(parse.GetValue(_dryRun), cancellationToken);
        if (result.AlreadyCompleted is { } completed)
        {
            if (context.Output.Format == OutputFormat.Json)
            {
                context.Output.WriteJson(new JsonObject { ["outputVersion"] = RunRendering.OutputVersion, ["dryRun"] = result.DryRun, ["alreadyCompleted"] = completed.FileName, ["runs"] = new JsonArray() });
            }
            else
            {
                context.Output.Console.MarkupLine($"[green]{Output.Escape(completed.FileName)} is already complete[/]: nothing to do");
            }
            return ExitCodes.Success;
        }
        RunRendering.Render(context.Output, result, "complete");
        return ExitCodes.Success;
    }
}
