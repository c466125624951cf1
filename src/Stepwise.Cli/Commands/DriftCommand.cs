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
        return DiffCommand.Report(context, SchemaDiff.Compare(expected, actual), $"no drift: the database matches its migrations up to version {version}");
    }
}
