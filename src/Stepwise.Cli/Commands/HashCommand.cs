using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;
using Stepwise.Cli.Rendering;
using Stepwise.Migrations;

namespace Stepwise.Cli.Commands;

/// <summary><c>stepwise hash</c>: rewrites stepwise.sum for the directory as it is (after an intended change).</summary>
internal sealed class HashCommand : ICliCommand
{
    public Command Build() => new("hash", "Write stepwise.sum for the migration directory as it is now (after reviewing an intended change)");

    public Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var dir = context.MigrationsDirectory;
        if (!Directory.Exists(dir))
        {
            throw new CliException(ExitCodes.BadInput, $"{dir}: the migration directory does not exist");
        }
        var directory = MigrationDirectory.Load(dir, new MigrationDirectoryOptions { Parse = false });
        var path = Path.Combine(dir, SumFile.FileName);
        var text = directory.ComputedSum.Render();
        var changed = !File.Exists(path) || File.ReadAllText(path) != text;
        File.WriteAllText(path, text);
        var count = directory.ComputedSum.Entries.Count;
        if (context.Output.Format == OutputFormat.Json)
        {
            context.Output.WriteJson(new JsonObject { ["file"] = path, ["files"] = count, ["changed"] = changed });
        }
        else
        {
            context.Output.Console.WriteLine(changed ? $"wrote {path} ({count} file(s))" : $"{path} is up to date ({count} file(s))");
            foreach (var file in directory.InProgress.Order(StringComparer.Ordinal))
            {
                context.Output.Console.WriteLine($"sealed {file}: from now on an edit to it is reported");
            }
        }
        return Task.FromResult(ExitCodes.Success);
    }
}
