using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Spectre.Console;
using Stepwise.Cli.Rendering;
using Stepwise.Diagnostics;
using Stepwise.Migrations;

namespace Stepwise.Cli.Commands;

/// <summary><c>stepwise new NAME</c>: a new timestamped migration file, and the sum updated to include it.</summary>
internal sealed partial class NewCommand : ICliCommand
{
    private readonly Argument<string> _name = new("name") { Description = "What the migration does, e.g. add_organization_id" };
    private readonly Option<bool> _operations = new("--operations", "--yaml") { Description = "Create an operation migration (<timestamp>_<name>.yaml, expand/contract operations) instead of SQL" };

    public Command Build()
    {
        var command = new Command("new", "Create migrations/<timestamp>_<name>.sql with up and down sections (or .yaml with --operations), and update stepwise.sum");
        command.Arguments.Add(_name);
        command.Options.Add(_operations);
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
        var operations = parse.GetValue(_operations);
        var fileName = $"{version}_{name}.{(operations ? "yaml" : "sql")}";
        var path = Path.Combine(dir, fileName);
        File.WriteAllText(path, operations ? OperationsSkeleton : """
            -- stepwise:up


            -- stepwise:down


            """);
        // The new file is in progress: the sum checks its place but not its content until stepwise hash seals it.
        var updated = MigrationDirectory.Load(dir, new MigrationDirectoryOptions { Parse = false });
        File.WriteAllText(Path.Combine(dir, SumFile.FileName), updated.SumWithInProgress(existing.InProgress.Append(fileName).ToHashSet(StringComparer.Ordinal)).Render());

        if (context.Output.Format == OutputFormat.Json)
        {
            context.Output.WriteJson(new JsonObject { ["file"] = path, ["version"] = version });
        }
        else
        {
            context.Output.Console.WriteLine($"created {path}");
        }
        return Task.FromResult(ExitCodes.Success);
    }

    /// <summary>Valid once an operation is written under operations: (until then validate says the list is empty, pointing at it).</summary>
    private const string OperationsSkeleton = """
        # Operations run as an expand/contract migration: start (old code keeps working), then complete.
        # Format: docs/operations.md (pgroll's operation and field names). Check it with: stepwise validate
        operations:
          # - add_column:
          #     table: workflow_runs
          #     column:
          #       name: organization_id
          #       type: uuid
          #       nullable: false
          #       references: { name: workflow_runs_organization_id_fkey, table: organizations, column: id }
          #     up: (SELECT w.organization_id FROM workflows w WHERE w.id = workflow_id)
          # - create_index:
          #     name: workflow_runs_org_created_idx
          #     table: workflow_runs
          #     columns: { organization_id: {}, created_at: { sort: DESC } }

        """;

    [GeneratedRegex(@"[^a-z0-9]+")]
    private static partial Regex Slug();
}
