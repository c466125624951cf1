using System.CommandLine;
using Stepwise.Catalog;
using Stepwise.Cli.Rendering;
using Stepwise.Verification;

namespace Stepwise.Cli.Commands;

/// <summary>
/// <c>stepwise drift -d URL</c>: replays the directory up to the version the database says it is at,
/// on a throwaway PostgreSQL, and lists every object of the live database that differs — changes made
/// by hand, outside migrations. Exit 1 when there is drift. Reads the live database only.
/// </summary>
internal sealed class DriftCommand : ICliCommand
{
    public Command Build() => new("drift", "List objects of the database changed outside migrations (replays the directory up to its version on a throwaway PostgreSQL); exit 1 on drift");

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var database = context.RequireDatabase().ConnectionString;
        var status = await context.CreateMigrator().StatusAsync(cancellationToken);
        var version = status.CurrentVersion;
        context.Output.Info($"the database is at version {version}; replaying the directory up to it on a throwaway PostgreSQL…");
        var expected = await DirectoryReplay.ModelAsync(context.MigrationsDirectory, version, context.StateSchema, new OutputLogger(context.Output), cancellationToken: cancellationToken);
        var actual = await CatalogReader.ReadAsync(database, context.StateSchema, cancellationToken);
        return DiffCommand.Report(context, SchemaDiff.Compare(expected, actual), $"no drift: the database matches its migrations up to version {version}");
    }
}
