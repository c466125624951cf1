using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Stepwise.Connections;
using Stepwise.Execution;

namespace Stepwise.Hosting;

/// <summary>
/// The start-up gate. It runs in <see cref="IHostedLifecycleService.StartingAsync"/>, which the host calls for
/// every lifecycle service before it starts any hosted service (the web server among them), so the
/// application serves no request on a schema it is not ready for. Refusing is throwing: the host stops and
/// the process exits non-zero, after one error line that names what is wrong and the command that fixes it.
/// </summary>
internal sealed class StepwiseStartup(StepwiseDatabase database, ILoggerFactory loggerFactory) : IHostedLifecycleService
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Stepwise.Hosting");

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        var mode = database.Options.Mode;
        if (mode == StepwiseStartupMode.None)
        {
            return;
        }
        if (mode == StepwiseStartupMode.Apply)
        {
            await ApplyAsync(cancellationToken);
        }
        SchemaCheckResult check;
        try
        {
            check = await database.CheckAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            var reason = DatabaseTarget.Redact(ex.Message);
            throw Refuse($"refusing to start: cannot read the migration state of {database.DisplayName}: {reason}", [reason], ex);
        }
        if (!check.Ready)
        {
            throw Refuse($"refusing to start: the database is not ready for this application: {string.Join("; ", check.Problems)}. Fix: {database.ApplyCommand()}",
                check.Problems);
        }
        _logger.LogInformation(HostingEventIds.SchemaReady, "the database is up to date (version {Version}) for this application's migrations in {Directory}{Ahead}",
            check.Status.CurrentVersion, database.Options.Directory,
            check.Ahead.Count == 0 ? "" : $"; a newer release applied {string.Join(", ", check.Ahead)}");
    }

    /// <summary>
    /// Applies what is pending. The migrator holds the migration lock and reads history only once it has it,
    /// so of many instances starting together one applies each migration and the others find it done.
    /// </summary>
    private async Task ApplyAsync(CancellationToken cancellationToken)
    {
        var options = database.MigratorOptions(loggerFactory.CreateLogger("Stepwise"));
        _logger.LogInformation(HostingEventIds.Applying, "applying pending migrations from {Directory}", database.Options.Directory);
        MigrationResult result;
        try
        {
            result = await new Migrator(options).ApplyAsync(new ApplyRequest(), cancellationToken);
        }
        catch (MigrationRefusedException ex)
        {
            var problems = ex.Problems.Select(p => p.ToString()).DefaultIfEmpty(ex.Message).ToList();
            throw Refuse($"refusing to start: {ex.Message}: {string.Join("; ", problems)}", problems, ex);
        }
        catch (MigrationFailedException ex)
        {
            var where = ex.Line > 0 ? $"{ex.File}:{ex.Line}:{ex.Column}" : ex.File;
            throw Refuse($"refusing to start: migration {where} failed: {ex.Message}; {ex.NextStep}", [$"{where}: {ex.Message}"], ex);
        }
        // One list, as apply reports it: every run (a SQL migration's up section, an operation migration's phase) in order.
        _logger.LogInformation(HostingEventIds.Applied, "{Count} run(s) applied{Runs}", result.Runs.Count,
            result.Runs.Count == 0 ? " (another instance applied them, or none was pending)"
                : ": " + string.Join(", ", result.Runs.Select(r => $"{r.Migration.FileName} {r.PhaseName}"
                    + (r.Section is null && r.Phase == Planning.PlanPhase.Start ? " (run stepwise complete once every instance runs the new code)" : ""))));
    }

    private SchemaNotReadyException Refuse(string message, IReadOnlyList<string> problems, Exception? cause = null)
    {
        // One line: log collectors keep it whole, and it says everything needed to fix the deploy.
        _logger.LogError(HostingEventIds.StartupRefused, "{Message}", message);
        return new SchemaNotReadyException(message, problems, cause);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
