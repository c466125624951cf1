using Microsoft.Extensions.Logging;
using Stepwise.Catalog;
using Stepwise.Embedded;
using Stepwise.Execution;

namespace Stepwise.Verification;

/// <summary>
/// What a migration directory builds: applies it from scratch (up to a version) on a throwaway
/// PostgreSQL and reads the catalog model of the result. Nothing touches any other database.
/// </summary>
public static class DirectoryReplay
{
    /// <summary>The schema the directory's migrations produce, up to <paramref name="toVersion"/> (all when null), on a TempPostgres or a scratch database on <paramref name="devUrl"/>'s server.</summary>
    /// <remarks><paramref name="setup"/> runs on the empty database before the first migration.</remarks>
    /// <exception cref="MigrationRefusedException">The directory has errors, or the setup SQL fails.</exception>
    /// <exception cref="MigrationFailedException">A migration does not apply from scratch.</exception>
    public static async Task<SchemaModel> ModelAsync(string directory, long? toVersion = null, string stateSchema = "stepwise", ILogger? logger = null,
        TempPostgresOptions? server = null, string? devUrl = null, ReplaySetup? setup = null, CancellationToken cancellationToken = default)
    {
        await using var postgres = await ScratchDatabase.CreateAsync(devUrl, server, setup, cancellationToken);
        var migrator = new Migrator(new MigratorOptions { Database = postgres.ConnectionString, Directory = directory, StateSchema = stateSchema, Logger = logger });
        await migrator.ApplyAsync(new ApplyRequest { ToVersion = toVersion, AllowOutOfOrder = true }, cancellationToken);
        return await CatalogReader.ReadAsync(postgres.ConnectionString, stateSchema, cancellationToken);
    }
}
