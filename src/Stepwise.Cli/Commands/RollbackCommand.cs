using System.CommandLine;
using Stepwise.Cli.Rendering;

namespace Stepwise.Cli.Commands;

/// <summary><c>stepwise rollback</c>: runs down sections, newest first.</summary>
internal sealed class RollbackCommand : ICliCommand
{
    private readonly Option<long?> _to = new("--to") { Description = "Roll back every migration newer than this version" };
    private readonly Option<int?> _steps = new("--steps") { Description = "Roll back this many of the newest applied migrations (default 1)" };
    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Print what would run; change nothing" };
    private readonly RunOptions _run = new();

    public Command Build()
    {
        var command = new Command("rollback", "Run down sections, newest first (refuses, changing nothing, if one has no down section)");
        command.Options.Add(_to);
        command.Options.Add(_steps);
        command.Options.Add(_dryRun);
        _run.AddTo(command);
        return command;
    }

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var to = parse.GetValue(_to);
        var steps = parse.GetValue(_steps);
        if (to is not null && steps is not null)
        {
            throw new CliException(ExitCodes.BadInput, "give --to or --steps, not both");
        }
        if (steps is <= 0)
        {
            throw new CliException(ExitCodes.BadInput, "--steps must be 1 or more");
        }
        var result = await context.CreateMigrator(o => _run.Configure(parse, o)).RollbackAsync(to, steps, parse.GetValue(_dryRun), cancellationToken);
        RunRendering.Render(context.Output, result, "roll back");
        return ExitCodes.Success;
    }
}
