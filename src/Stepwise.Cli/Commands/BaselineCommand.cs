using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;
using Stepwise.Cli.Rendering;
using Stepwise.Import;
using Stepwise.Migrations;

namespace Stepwise.Cli.Commands;

/// <summary>
/// <c>stepwise baseline V</c>: adopt an existing database by marking migrations up to V applied; or
/// <c>--from TOOL</c> / <c>--from-ef</c>: mark exactly the imported migrations the other tool's history table lists.
/// </summary>
internal sealed class BaselineCommand : ICliCommand
{
    private readonly Argument<long?> _version = new("version")
    {
        Description = "Mark every migration up to this version as applied, without running it",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private readonly Option<string?> _from = new("--from")
    {
        Description = "Instead of a version: mark applied the migrations imported from this tool (" + string.Join(", ", Importer.Names) + ") that its history table lists (fluentmigrator: the versioned migrations numbered as the versions \"VersionInfo\" lists)",
    };

    private readonly Option<bool> _fromEf = new("--from-ef") { Description = "Same as --from ef: read \"__EFMigrationsHistory\"" };

    private readonly Option<bool> _skipCode = new("--skip-code")
    {
        Description = "With --from: a migration the tool's history lists but the import left out (its code migrations: import --skip-code, DbUp code scripts) is named in a warning instead of refusing",
    };

    private readonly Option<string?> _table = new("--table")
    {
        Description = "With --from: the tool's history table where the project renamed it ([schema.]name; default: the tool's own name, e.g. gorp_migrations)",
    };

    public Command Build()
    {
        _from.AcceptOnlyFromAmong([.. Importer.Names]);
        var command = new Command("baseline", "Adopt an existing database: record migrations up to VERSION (or, with --from, those another tool applied) as applied without running them (refuses if history exists)");
        command.Arguments.Add(_version);
        command.Options.Add(_from);
        command.Options.Add(_fromEf);
        command.Options.Add(_skipCode);
        command.Options.Add(_table);
        return command;
    }

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var version = parse.GetValue(_version);
        var from = parse.GetValue(_fromEf) ? "ef" : parse.GetValue(_from);
        if (parse.GetValue(_fromEf) && parse.GetValue(_from) is { } other && other != "ef")
        {
            throw new CliException(ExitCodes.BadInput, $"--from-ef and --from {other} disagree: pass one of them");
        }
        if (parse.GetValue(_table) is not null && from is null)
        {
            throw new CliException(ExitCodes.BadInput, "--table goes with --from TOOL (the name of that tool's history table, where the project renamed it)");
        }
        if (parse.GetValue(_skipCode) && from is null)
        {
            throw new CliException(ExitCodes.BadInput, "--skip-code goes with --from TOOL (the migrations the tool's history lists that the import left out)");
        }
        if ((version is null) == (from is null))
        {
            throw new CliException(ExitCodes.BadInput, "pass either a VERSION (stepwise baseline 20240101120000) or the tool whose history to read (stepwise baseline --from flyway, or --from-ef), not both");
        }
        var migrator = context.CreateMigrator();
        IReadOnlyList<Migration> adopted = from is null
            ? await migrator.BaselineAsync(version!.Value, cancellationToken)
            : await migrator.BaselineFromAsync(Importer.Parse(from)!.Value, parse.GetValue(_skipCode), parse.GetValue(_table), cancellationToken);
        if (context.Output.Format == OutputFormat.Json)
        {
            context.Output.WriteJson(new JsonObject { ["baseline"] = new JsonArray([.. adopted.Select(m => new JsonObject { ["version"] = m.Version, ["file"] = m.FileName })]) });
        }
        else
        {
            foreach (var m in adopted)
            {
                context.Output.Console.WriteLine($"marked applied: {m.FileName}");
            }
            context.Output.Console.WriteLine(from is null
                ? $"baseline at version {adopted[^1].Version}: {adopted.Count} migration(s) recorded, none run"
                : $"baseline from {from}'s history: {adopted.Count} migration(s) recorded with their checksums, none run; stepwise status shows them applied");
        }
        return ExitCodes.Success;
    }
}
