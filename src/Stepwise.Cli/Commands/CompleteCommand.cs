using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;
using Stepwise.Cli.Rendering;
using Stepwise.Migrations;

namespace Stepwise.Cli.Commands;

/// <summary><c>stepwise complete</c>: the contract phase of the started operation migration.</summary>
internal sealed class CompleteCommand : ICliCommand
{
    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Print the complete phase's steps and locks; change nothing" };
    private readonly Option<bool> _force = new("--force") { Description = "Complete even while application instances of an older schema version are alive (they are named in a warning)" };
    private readonly Option<string?> _wait = new("--wait") { Description = "Wait up to this long (e.g. 10min) for instances of an older schema version to stop, with a progress line, instead of refusing at once" };
    private readonly RunOptions _run = new();

    public Command Build()
    {
        var command = new Command("complete", "Run the contract phase of the started operation migration (once every application instance runs the new code): SET NOT NULL, helpers dropped, ...; refuses while instances of an older schema version are alive (--wait, --force)");
        command.Options.Add(_dryRun);
        command.Options.Add(_force);
        command.Options.Add(_wait);
        _run.AddTo(command);
        return command;
    }

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var wait = Wait(parse.GetValue(_wait));
        var result = await context.CreateMigrator(o =>
        {
            _run.Configure(parse, o);
            o.Instances.Force = parse.GetValue(_force);
            o.Instances.Wait = wait;
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

    /// <summary>The value of <c>--wait</c>: how long complete waits for instances of an older schema version to stop.</summary>
    internal static TimeSpan? Wait(string? text) =>
        text is null
            ? null
            : DurationText.TryParse(text, out var duration) && duration > TimeSpan.Zero
                ? duration
                : throw new CliException(ExitCodes.BadInput, $"--wait '{text}' is not a duration above zero: write e.g. 30s, 10min");
}
