using Spectre.Console;
using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Stepwise.Cli.Rendering;
using Stepwise.Migrations;

namespace Stepwise.Cli.Commands;

/// <summary><c>stepwise new NAME</c>: a new timestamped migration file, and the sum updated to include it.</summary>
internal sealed partial class NewCommand : ICliCommand
{
    private readonly Argument<string> _name = new("name") { Description = "What the migration does, e.g. add_organization_id" };

    public Command Build()
    {
        var command = new Command("new", "Create migrations/<timestamp>_<name>.sql with up and down sections, and update stepwise.sum");
        command.Arguments.Add(_name);
        return command;
    }

    public Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var name = Slug().Replace(parse.GetValue(_name)!.Trim().ToLowerInvariant(), "_").Trim('_');
        if (name.Length == 0)
        {
            throw new CliException(ExitCodes.BadInput, "the name must contain letters or digits, e.g. stepwise new add_users");
        }
        var dir = context.MigrationsDirectory;
        Directory.CreateDirectory(dir);
        var existing = MigrationDirectory.Load(dir, new MigrationDirectoryOptions { Parse = false });
        // Refuse to bless whatever changed since the sum was written: that is 'stepwise hash', after a look.
        var sumProblems = existing.Problems.Where(p => p.Severity == Severity.Error && p.Code.StartsWith("sum-", StringComparison.Ordinal)).ToList();
        if (sumProblems.Count > 0)
        {
            throw new CliException(ExitCodes.BadInput, string.Join("\n", sumProblems) + "\nnothing was created: review the change, run stepwise hash, then stepwise new");
        }

        // A timestamp, but always newer than every existing version, so the new file never lands out of order.
        var version = long.Parse(DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var newest = existing.Versioned.Select(m => m.Version).DefaultIfEmpty(0).Max();
        version = Math.Max(version, newest + 1);
        var fileName = $"{version}_{name}.sql";
        var path = Path.Combine(dir, fileName);
        File.WriteAllText(path, $"""
            -- stepwise:up


            -- stepwise:down


            """);
        var updated = MigrationDirectory.Load(dir, new MigrationDirectoryOptions { Parse = false });
        File.WriteAllText(Path.Combine(dir, SumFile.FileName), updated.ComputedSum.Render());

        if (context.Output.Format == OutputFormat.Json)
        {
            context.Output.WriteJson(new { file = path, version });
        }
        else
        {
            context.Output.Console.WriteLine($"created {path}");
        }
        return Task.FromResult(ExitCodes.Success);
    }

    [GeneratedRegex(@"[^a-z0-9]+")]
    private static partial Regex Slug();
}
