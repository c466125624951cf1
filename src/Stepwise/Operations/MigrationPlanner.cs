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
    /// <summary>The plan of <paramref name="file"/> for the schema <paramref name="connection"/> sees, leaving out <paramref name="ignoredSchemas"/> (the state schema).</summary>
    /// <exception cref="PlanningException">An operation cannot be applied to this schema.</exception>
    public static async Task<Plan> PlanAsync(NpgsqlConnection connection, OperationFile file, IReadOnlyCollection<string> ignoredSchemas, CancellationToken cancellationToken)
    {
        var model = await CatalogReader.ReadAsync(connection, ignoredSchemas, cancellationToken);
        return PlanBuilder.PlanAll(file, model);
    }
}
