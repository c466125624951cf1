using System.CommandLine;
using Stepwise.Catalog;
using Stepwise.Cli.Rendering;
using Stepwise.Import;
using Stepwise.Verification;

namespace Stepwise.Cli.Commands;

/// <summary>
/// <c>stepwise drift -d URL</c>: replays the directory up to the version the database says it is at,
/// on a throwaway PostgreSQL, and lists every object of the live database that differs — changes made
/// by hand, outside migrations. Exit 1 when there is drift. Reads the live database only.
/// </summary>
internal sealed class DriftCommand : ICliCommand
{
    private readonly DevUrlOption _devUrl = new();
    private readonly SetupOption _setup = new();

    public Command Build()
    {
        var command = new Command("drift", "List objects of the database changed outside migrations (replays the directory up to its version on a throwaway PostgreSQL); exit 1 on drift");
        command.Options.Add(_devUrl.Option);
        command.Options.Add(_setup.Option);
        return command;
    }

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var database = context.RequireDatabase().ConnectionString;
        var status = await context.CreateMigrator().StatusAsync(cancellationToken);
        var version = status.CurrentVersion;
        var devUrl = _devUrl.Resolve(context, parse);
        context.Output.Info($"the database is at version {version}; replaying the directory up to it on {DevUrlOption.Where(devUrl)}…");
        var expected = await _setup.ReplayAsync(context, parse, context.MigrationsDirectory, version, devUrl, "drift", cancellationToken);
        var actual = await CatalogReader.ReadAsync(database, context.StateSchema, cancellationToken);
        return DiffCommand.Report(context, NameForeignHistory(SchemaDiff.Compare(expected, actual), ImportedFrom(context.MigrationsDirectory)),
            $"no drift: the database matches its migrations up to version {version}");
    }

    /// <summary>The tools the directory's migrations were imported from (their first line, <see cref="ImportOrigin"/>).</summary>
    private static HashSet<string> ImportedFrom(string directory) => Directory.Exists(directory)
        ? [.. Directory.EnumerateFiles(directory, "*.sql").Select(f => ImportOrigin.Read(File.ReadLines(f).FirstOrDefault() ?? "")?.From)
            .Where(from => from is not null).Select(from => Importer.Name(from!.Value))]
        : [];

    /// <summary>
    /// Another tool's history table (and its key), left behind after <c>baseline --from</c> read it, is still an object no
    /// migration made; the difference says whose it is and what to do, so it is not taken for a change made by hand. Only a
    /// tool the directory was imported from is named: a table of the application's called <c>changelog</c> is not Evolve's.
    /// </summary>
    private static IReadOnlyList<SchemaChange> NameForeignHistory(IReadOnlyList<SchemaChange> changes, HashSet<string> importedFrom)
    {
        var tables = changes.Where(c => c.Kind == ChangeKind.Added && c.ObjectType == "table")
            .Select(c => (c.Name, Table: c.Name.Split('.')[^1], Tools: ForeignHistory.ToolsKeeping(c.Name.Split('.')[^1]).Where(importedFrom.Contains).ToList()))
            .Where(t => t.Tools.Count > 0).ToList();
        return [.. changes.Select(c => c.Kind != ChangeKind.Added || c.Detail is not null ? c
            : tables.FirstOrDefault(t => c.Name == t.Name || c.ObjectType is "index" or "constraint" or "sequence" && c.Name.Split('.')[^1].StartsWith(t.Table + "_", StringComparison.Ordinal)) is { Tools: not null } owner
                ? c with { Detail = $"{(c.Name == owner.Name ? "the history table" : "part of the history table")} {string.Join(" or ", owner.Tools)} keeps (baseline --from only reads it): drop it once that tool no longer migrates this database" }
                : c)];
    }
}
