using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Stepwise.Connections;
using Stepwise.Execution;
using Stepwise.Instances;

namespace Stepwise.Hosting;

/// <summary>
/// Reports whether the database is ready for the application, in one read-only round trip (the start-up
/// check's): healthy when up to date, the failure status (unhealthy by default) when anything is pending,
/// failed, partial or modified, a required column is missing, or the state cannot be read.
/// </summary>
internal sealed class StepwiseHealthCheck(StepwiseDatabase database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        SchemaCheckResult check;
        try
        {
            check = await database.CheckAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException or FormatException or OptionsValidationException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"cannot read the migration state: {DatabaseTarget.Redact(ex.Message)}");
        }
        var result = Evaluate(check, context.Registration.FailureStatus);
        var data = new Dictionary<string, object>(result.Data);
        if (database.Backfill is { } backfill)
        {
            // A backfill this process runs: its progress, as the live bar and status show it.
            data["backfillTable"] = backfill.Table;
            data["backfillRowsDone"] = backfill.RowsDone;
            data["backfillRowsPerSecond"] = Math.Round(backfill.RowsPerSecond);
            data["backfillProgress"] = backfill.Total > 0 ? Math.Round((double)backfill.RowsVisited / backfill.Total, 3) : 0.0;
            data["backfillEtaSeconds"] = backfill.Remaining is { } left ? Math.Round(left.TotalSeconds) : -1;
            data["backfillWaiting"] = backfill.Waiting ?? "";
        }
        try
        {
            data["instances"] = InstancesByVersion(await new InstanceRegistry(database.ConnectionString, database.Options.StateSchema).LiveAsync(cancellationToken: cancellationToken));
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            data["instances"] = $"cannot read the instances: {DatabaseTarget.Redact(ex.Message)}";
        }
        return new HealthCheckResult(result.Status, result.Description, result.Exception, data);
    }

    /// <summary>Live instances per schema version (<c>0002_add_users</c> → count), oldest version first.</summary>
    internal static Dictionary<string, int> InstancesByVersion(IReadOnlyList<Instance> instances) =>
        instances.GroupBy(i => i.Migration).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>
    /// Maps a schema check to a health result; the one place where the state of migrations becomes a health
    /// status: a problem is the failure status; an operation migration between its start and complete phases is
    /// <see cref="HealthStatus.Degraded"/> (the application works, the schema is in transition), with its phase
    /// and step in the data; otherwise healthy.
    /// </summary>
    internal static HealthCheckResult Evaluate(SchemaCheckResult check, HealthStatus failureStatus)
    {
        var data = new Dictionary<string, object>
        {
            ["version"] = check.Status.CurrentVersion,
            ["pending"] = check.Status.Entries.Where(e => e.State is MigrationState.Pending or MigrationState.OutOfOrder).Select(e => e.File).ToArray(),
            ["problems"] = check.Problems.ToArray(),
            ["ahead"] = check.Ahead.ToArray(),
        };
        if (check.Status.LockWait is { } wait)
        {
            // A migration (this process's or any other's) is waiting for a quiet moment to take its locks.
            data["lockWait"] = wait.Line;
            data["lockWaitTables"] = wait.Tables.ToArray();
            data["lockWaitSince"] = wait.Since;
            data["lockHolders"] = wait.Holders.ToArray();
            if (wait.OldestTransaction is { } oldest)
            {
                data["lockWaitOldestMs"] = (long)oldest.TotalMilliseconds;
            }
        }
        if (!check.Ready)
        {
            var more = check.Problems.Count > 1 ? $" (and {check.Problems.Count - 1} more)" : "";
            return new HealthCheckResult(failureStatus, check.Problems[0] + more, data: data);
        }
        if (check.Status.Entries.FirstOrDefault(e => e.IsOperationInProgress) is { History: { } row } transition)
        {
            data["operation"] = transition.File;
            data["phase"] = row.Status.Text();
            data["step"] = row.StatementsCompleted;
            data["steps"] = row.StatementsTotal;
            return HealthCheckResult.Degraded($"operation migration {transition.File} is {row.Status.Text()} (step {row.StatementsCompleted} of {row.StatementsTotal}): "
                + (row.Status == HistoryStatus.Started ? "run stepwise complete once every instance runs the new code" : "in progress"), data: data);
        }
        return HealthCheckResult.Healthy($"up to date (version {check.Status.CurrentVersion})", data);
    }
}
