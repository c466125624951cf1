using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;
using Stepwise.Cli.Rendering;
using Stepwise.Import;
using Stepwise.Migrations;

namespace Stepwise.Cli.Commands;

/// <summary>
/// <c>stepwise import TOOL PATH</c>: converts another tool's migrations into a Stepwise
/// directory (all or nothing), printing what was converted and what could not be, and why.
/// </summary>
internal sealed class ImportCommand : ICliCommand
{
    private readonly Argument<string> _from = new("tool") { Description = "The tool the migrations come from: " + string.Join(", ", Importer.Names) };

    private readonly Argument<string> _path = new("path") { Description = "ef: the script from dotnet ef migrations script; the others: the migration directory (dbup: the one given to WithScriptsFromFileSystem, or holding the embedded scripts)" };

    private readonly Option<bool> _skipCode = new("--skip-code", "--skip-go")
    {
        Description = "goose, prisma: import the SQL migrations and list those that run code (goose's Go migrations, Prisma folders with a migration.ts and no migration.sql) as skipped (otherwise they refuse the import)",
    };

    private readonly Option<bool> _ignoreAtlasSum = new("--ignore-atlas-sum") { Description = "atlas: import although atlas.sum does not match the files (reported as a warning)" };

    private readonly Option<bool> _noTransaction = new("--no-transaction")
    {
        Description = "dbup: run each imported migration without a transaction, each statement committing on its own, as DbUp does by default (otherwise: one transaction per migration, as DbUp's WithTransactionPerScript())",
    };

    private readonly Option<bool> _includeSubdirectories = new("--include-subdirectories")
    {
        Description = "dbup: read the subdirectories too, as DbUp does with FileSystemScriptOptions.IncludeSubDirectories (scripts named by their path with dots)",
    };

    private readonly Option<string?> _out = new("--out", "-o") { Description = "The Stepwise directory to write (default: the migrations directory, --dir)" };

    private readonly Option<bool> _force = new("--force") { Description = "Replace files that already exist in the target directory" };

    public Command Build()
    {
        _from.AcceptOnlyFromAmong([.. Importer.Names]);
        var command = new Command("import", "Convert migrations from EF Core, dbmate, Flyway, Atlas, goose, golang-migrate, Prisma, sqlx, Diesel, sql-migrate, tern, Evolve or DbUp into Stepwise files (never edits the source; writes nothing unless every file converts)");
        command.Arguments.Add(_from);
        command.Arguments.Add(_path);
        command.Options.Add(_out);
        command.Options.Add(_force);
        command.Options.Add(_skipCode);
        command.Options.Add(_ignoreAtlasSum);
        command.Options.Add(_noTransaction);
        command.Options.Add(_includeSubdirectories);
        return command;
    }

    public Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var from = Importer.Parse(parse.GetValue(_from)!)!.Value;
        var path = Path.GetFullPath(parse.GetValue(_path)!, context.Environment.WorkingDirectory);
        var target = parse.GetValue(_out) is { } o ? Path.GetFullPath(o, context.Environment.WorkingDirectory) : context.MigrationsDirectory;
        var options = new ImportOptions
        {
            SkipCodeMigrations = parse.GetValue(_skipCode),
            IgnoreAtlasSum = parse.GetValue(_ignoreAtlasSum),
            NoTransaction = parse.GetValue(_noTransaction),
            IncludeSubdirectories = parse.GetValue(_includeSubdirectories),
        };
        if (from != ImportSource.DbUp && (options.NoTransaction || options.IncludeSubdirectories))
        {
            throw new CliException(ExitCodes.BadInput, $"{(options.NoTransaction ? "--no-transaction" : "--include-subdirectories")} is for dbup only (the other tools' files say themselves how they run and where they are)");
        }

        ImportResult result;
        IReadOnlyList<string> written;
        try
        {
            result = Importer.Read(from, path, options);
            if (context.Output.Format == OutputFormat.Text)
            {
                foreach (var problem in result.NotConverted)
                {
                    context.Output.Warning(problem.ToString());
                }
            }
            written = ImportWriter.Write(result, target, parse.GetValue(_force));
        }
        catch (ImportRefusedException ex)
        {
            MigrationErrors.Report(context.Output, ex.Message, ex.Problems);
            return Task.FromResult(ExitCodes.BadInput);
        }

        var tool = Importer.Name(from);
        if (context.Output.Format == OutputFormat.Json)
        {
            context.Output.WriteJson(new JsonObject
            {
                ["from"] = tool,
                ["source"] = path,
                ["target"] = target,
                ["converted"] = new JsonArray([.. result.Converted.Select(m => new JsonObject { ["file"] = m.FileName, ["source"] = m.Source, ["id"] = m.SourceId })]),
                ["notConverted"] = new JsonArray([.. result.NotConverted.Select(p => new JsonObject { ["file"] = p.File, ["line"] = p.Line, ["column"] = p.Column, ["message"] = p.Message, ["hint"] = p.Hint })]),
                ["written"] = new JsonArray([.. written.Select(w => (JsonNode)w)]),
            });
            return Task.FromResult(ExitCodes.Success);
        }
        foreach (var m in result.Converted)
        {
            context.Output.Console.WriteLine($"converted {m.Source} → {m.FileName}");
        }
        context.Output.Console.WriteLine($"wrote {result.Converted.Count} migration(s) and {SumFile.FileName} to {target}; {path} was not changed");
        var baseline = from == ImportSource.Ef ? "stepwise baseline --from-ef" : $"stepwise baseline --from {tool}";
        context.Output.Info($"next: stepwise validate; on a database {tool} already migrated, record them as applied with: {baseline}");
        return Task.FromResult(ExitCodes.Success);
    }
}
