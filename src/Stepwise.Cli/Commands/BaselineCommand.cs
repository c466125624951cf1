using Spectre.Console;
using System.CommandLine;
using Stepwise.Cli.Rendering;

namespace Stepwise.Cli.Commands;

/// <summary><c>stepwise baseline V</c>: adopt an existing database by marking migrations up to V applied.</summary>
internal sealed class BaselineCommand : ICliCommand
{
    private readonly Argument<long> _version = new("version") { Description = "Mark every migration up to this version as applied, without running it" };

    public Command Build()
    {
        var command = new Command("baseline", "Adopt an existing database: record migrations up to VERSION as applied without running them (refuses if history exists)");
        command.Arguments.Add(_version);
        return command;
    }

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var adopted = await context.CreateMigrator().BaselineAsync(parse.GetValue(_version), cancellationToken);
        if (context.Output.Format == OutputFormat.Json)
        {
            context.Output.WriteJson(new { baseline = adopted.Select(m => new { version = m.Version, file = m.FileName }) });
        }
        else
        {
            foreach (var m in adopted)
            {
                context.Output.Console.WriteLine($"marked applied: {m.FileName}");
            }
            context.Output.Console.WriteLine($"baseline at version {adopted[^1].Version}: {adopted.Count} migration(s) recorded, none run");
        }
        return ExitCodes.Success;
    }
}
