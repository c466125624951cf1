using Npgsql;
using Stepwise.Catalog;
using Stepwise.Planning;

namespace Stepwise.Operations;

/// <summary>
/// Plans an operation migration against the live schema: reads the catalog, then lets each operation plan its
/// steps. The executor runs what this returns (and stores it, so a resume never plans again).
/// </summary>
internal static class MigrationPlanner
{
    /// <summary>
    /// The plan of <paramref name="file"/> (migration <paramref name="migration"/>, its file name without extension) for the schema
    /// <paramref name="connection"/> sees, leaving out <paramref name="ignoredSchemas"/> (the state schema) and the version schemas.
    /// </summary>
    /// <exception cref="PlanningException">An operation cannot be applied to this schema.</exception>
    public static async Task<Plan> PlanAsync(NpgsqlConnection connection, OperationFile file, string migration, IReadOnlyCollection<string> ignoredSchemas, CancellationToken cancellationToken)
    {
        var model = await CatalogReader.ReadAsync(connection, ignoredSchemas, cancellationToken);
        var versionSchemas = await VersionSchemas.ListAsync(connection, cancellationToken);
        return StepGrouping.Group(PlanBuilder.PlanAll(file, model, migration, [.. versionSchemas.Select(v => v.Name)]));
    }
}
