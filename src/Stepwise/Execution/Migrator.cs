using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Stepwise.Connections;
using Stepwise.Diagnostics;
using Stepwise.Import;
using Stepwise.Migrations;
using Stepwise.Planning;

namespace Stepwise.Execution;

/// <summary>What <see cref="Migrator.ApplyAsync"/> should do.</summary>
public sealed record ApplyRequest
{
    /// <summary>Apply nothing newer than this version.</summary>
    public long? ToVersion { get; init; }

    /// <summary>Only plan: read history, change nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary>Apply pending migrations older than an applied one (e.g. from a merged branch).</summary>
    public bool AllowOutOfOrder { get; init; }

    /// <summary>Run an operation migration's complete phase right after its start (for teams that need no rollout window).</summary>
    public bool Complete { get; init; }
}

/// <summary>
/// One migration's run in a plan or a result, whatever its kind: the steps of a SQL migration's section (compiled by
/// <see cref="MigrationSection.Steps"/>) or of an operation migration's phase, as the executor runs them.
/// </summary>
/// <param name="Migration">The file.</param>
/// <param name="Phase">The operation migration's phase; for a SQL migration, <see cref="PlanPhase.Start"/> for its up section and <see cref="PlanPhase.Rollback"/> for its down section.</param>
/// <param name="Steps">The steps, in order (a SQL section that runs in one transaction is one <see cref="StepKind.Transaction"/> step).</param>
/// <param name="ResumeAt">The 0-based step an interrupted run resumes at.</param>
/// <param name="Duration">How long it took (zero in a plan).</param>
public sealed record MigrationRun(Migration Migration, PlanPhase Phase, IReadOnlyList<Step> Steps, int ResumeAt, TimeSpan Duration)
{
    /// <summary>For a SQL migration: the section that runs (up, or down for rollback); null for an operation migration.</summary>
    public MigrationSection? Section { get; init; }

    /// <summary>The phase as people name it: <c>up</c> or <c>down</c> for a SQL migration, <c>start</c>, <c>complete</c> or <c>rollback</c> for an operation migration.</summary>
    public string PhaseName => Section is { } s ? (s.Direction == SectionDirection.Up ? "up" : "down") : Phase.ToString().ToLowerInvariant();

    internal static MigrationRun Of(Migration migration, MigrationSection section, int resumeAt) =>
        new(migration, section.Direction == SectionDirection.Up ? PlanPhase.Start : PlanPhase.Rollback, section.Steps, resumeAt, TimeSpan.Zero) { Section = section };
}

/// <summary>What an apply, rollback or complete did, or (dry run) would do.</summary>
/// <param name="Runs">The migrations' runs (SQL sections and operation phases), in the order run.</param>
/// <param name="DryRun">True when nothing was run.</param>
public sealed record MigrationResult(IReadOnlyList<MigrationRun> Runs, bool DryRun)
{
    /// <summary>
    /// In a dry run, the database's foreign keys: with them <see cref="StatementLocks.For(Sql.StatementTree, ForeignKeys?)"/> also names
    /// the tables a statement locks through a foreign key it drops, rebuilds or validates. Null otherwise.
    /// </summary>
    public ForeignKeys? ForeignKeys { get; init; }

    /// <summary>When <see cref="Migrator.CompleteAsync"/> found the newest operation migration already complete: that migration (nothing ran).</summary>
    public Migration? AlreadyCompleted { get; init; }

    /// <summary>
    /// After an apply: the operation migration that is started (by this run or before it) and not completed, when pending
    /// migrations after it were not applied because of it (<see cref="Waiting"/>): one operation migration is started at a time.
    /// </summary>
    public Migration? WaitingFor { get; init; }

    /// <summary>The pending migrations that wait for <see cref="WaitingFor"/> to be completed (or rolled back), in order.</summary>
    public IReadOnlyList<Migration> Waiting { get; init; } = [];

    /// <summary>
    /// In a dry run of <see cref="Migrator.CompleteAsync"/>: the live application instances of an older version, for which
    /// the complete would be refused (or waited, or forced); empty when there are none or the complete already began.
    /// </summary>
    public IReadOnlyList<Instances.Instance> Blockers { get; init; } = [];
}

/// <summary>A change <see cref="Migrator.RepairAsync"/> makes (or would make) to history.</summary>
/// <param name="Version">The migration's version (0 for repeatable).</param>
/// <param name="File">The file.</param>
/// <param name="Action">What happens, e.g. "re-record checksum".</param>
public sealed record RepairChange(long Version, string File, string Action);

/// <summary>
/// Applies, rolls back and reports on versioned SQL migrations: the library behind <c>stepwise apply</c>,
/// <c>rollback</c>, <c>status</c>, <c>baseline</c> and <c>repair</c>. Every run holds the migration lock,
/// checks the directory and history before changing anything, and refuses with the problems listed
/// (<see cref="MigrationRefusedException"/>) rather than guess.
/// </summary>
public sealed partial class Migrator
{
    private readonly MigratorOptions _options;
    private readonly ILogger _logger;
    private readonly HistoryStore _history;
    private readonly string _connectionString;

    /// <summary>Creates a migrator; nothing connects until a method is called.</summary>
    public Migrator(MigratorOptions options)
    {
        _options = options;
        _logger = options.Logger ?? NullLogger.Instance;
        _history = new HistoryStore(options.StateSchema);
        var given = DatabaseTarget.Parse(options.Database).ConnectionString;
        var builder = new NpgsqlConnectionStringBuilder(given)
        {
            ApplicationName = options.ApplicationName,
            // Stepwise's connections are long-lived and few; a pool would only keep sessions (and locks) around.
            Pooling = false,
        };
        // PostgreSQL's detail of an error is what a failed migration needs most (which key is duplicated, which row a
        // constraint refuses); Npgsql redacts it unless asked, so Stepwise asks, unless the connection string says otherwise.
        if (!new System.Data.Common.DbConnectionStringBuilder { ConnectionString = given }.Keys.Cast<string>()
                .Any(k => k.Replace(" ", "", StringComparison.Ordinal).Equals("IncludeErrorDetail", StringComparison.OrdinalIgnoreCase)))
        {
            builder.IncludeErrorDetail = true;
        }
        _connectionString = builder.ConnectionString;
    }

    /// <summary>Reads the directory (without parsing) and the history, in one round trip, and compares them.</summary>
    public async Task<StatusReport> StatusAsync(CancellationToken cancellationToken = default)
    {
        var (directory, connection) = await ReadDirectoryWhileConnectingAsync(cancellationToken);
        await using (connection)
        {
            return await ReadStatusAsync(directory, connection, cancellationToken);
        }
    }

    /// <summary>
    /// Everything <c>stepwise status</c> shows, on one connection: the status (<see cref="StatusAsync"/>), the backfills when
    /// an operation migration is in progress, the version schemas and the live application instances; reads only.
    /// </summary>
    public async Task<StatusOverview> OverviewAsync(CancellationToken cancellationToken = default)
    {
        var (directory, connection) = await ReadDirectoryWhileConnectingAsync(cancellationToken);
        await using (connection)
        {
            var report = await ReadStatusAsync(directory, connection, cancellationToken);
            var backfills = report.Entries.Any(e => e.IsOperationInProgress)
                ? await Backfill.BackfillControlStore.ReadAsync(connection, _history, cancellationToken)
                : new Backfill.BackfillReport(null, []);
            var versionSchemas = await Operations.VersionSchemas.ListAsync(connection, cancellationToken);
            var instances = await Instances.InstanceRegistry.ReadLiveAsync(connection, _options.StateSchema, [.. _options.Instances.Clients], cancellationToken);
            return new StatusOverview(report, backfills, versionSchemas, instances);
        }
    }

    /// <summary>
    /// Reads the directory (without parsing) while the connection opens, for the reads that hold no locks (no session check
    /// to set up). A directory with errors is refused as before, without waiting for the connection.
    /// </summary>
    private async Task<(MigrationDirectory Directory, NpgsqlConnection Connection)> ReadDirectoryWhileConnectingAsync(CancellationToken cancellationToken)
    {
        var opening = DataSources.OpenAsync(_connectionString, cancellationToken);
        MigrationDirectory directory;
        try
        {
            directory = LoadDirectory(parse: false);
        }
        catch
        {
            _ = opening.ContinueWith(t => t.Result.DisposeAsync(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }
        return (directory, await opening);
    }

    /// <summary>The history and what a running migration waits for, in one round trip, compared with <paramref name="directory"/>.</summary>
    private async Task<StatusReport> ReadStatusAsync(MigrationDirectory directory, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var (rows, lockWait) = await _history.ReadWithLockWaitAsync(connection, cancellationToken);
        var report = StatusReport.Compute(directory, rows);
        report.LockWait = lockWait;
        return report;
    }

    /// <summary>
    /// The live application instances (registered ones, and sessions matching <see cref="MigratorOptions.Instances"/>'
    /// client patterns), by version; reads only.
    /// </summary>
    public async Task<IReadOnlyList<Instances.Instance>> InstancesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = DataSources.Connection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return await Instances.InstanceRegistry.ReadLiveAsync(connection, _options.StateSchema, [.. _options.Instances.Clients], cancellationToken);
    }

    /// <summary>Applies pending migrations (or plans them, for a dry run).</summary>
    /// <exception cref="MigrationRefusedException">Nothing was applied: the directory or history has problems.</exception>
    /// <exception cref="MigrationFailedException">A migration failed; those before it are applied and recorded.</exception>
    /// <exception cref="MigrationLockBusyException">Another runner holds the lock and waiting was not allowed.</exception>
    public async Task<MigrationResult> ApplyAsync(ApplyRequest request, CancellationToken cancellationToken = default)
    {
        using var activity = StartRunActivity("stepwise.apply", request.DryRun);
        var directory = LoadDirectory(parse: true);
        await using var session = await Session.OpenAsync(this, takeLock: !request.DryRun, cancellationToken);
        var rows = await _history.ReadAsync(session.Observer, cancellationToken);
        var status = StatusReport.Compute(directory, rows);
        var plan = PlanApply(status, request);
        ThrowIfTransactionControl(plan, "nothing was applied");
        if (request.DryRun)
        {
            // Operation migrations planned against the live schema: only the first (later ones wait for it to complete).
            var planned = await PlanOperationsAsync(session, status, [.. plan.Where(r => r.Migration.IsOperationMigration).Select(r => r.Migration)], cancellationToken);
            return new MigrationResult([.. plan.SelectMany(r => r.Migration.IsOperationMigration ? planned.Where(p => p.Migration == r.Migration) : [r])], DryRun: true)
            {
                ForeignKeys = await ForeignKeys.LoadAsync(_connectionString, cancellationToken),
            };
        }

        var executor = new PlanExecutor(session.Work, session.Observer, _history, _options, _logger);
        var history = HistoryByMigration(status);
        var done = new List<MigrationRun>();
        foreach (var run in plan)
        {
            if (run.Migration.IsOperationMigration)
            {
                var phases = await RunOperationAsync(session, status, run.Migration, request.Complete, cancellationToken);
                done.AddRange(phases);
                if (phases.Count == 0 || phases[^1].Phase != PlanPhase.Complete)
                {
                    break; // started, not completed: later migrations wait until it is
                }
                continue;
            }
            _logger.LogInformation(EventIds.MigrationStarting, "applying {File}{Mode}", run.Migration.FileName,
                run.Section!.RunsInTransaction ? "" : $" statement by statement ({run.Section.WhyNoTransaction})");
            var elapsed = await RunTracedAsync(executor, run, history.GetValueOrDefault(run.Migration), cancellationToken);
            _logger.LogInformation(EventIds.MigrationApplied, "applied {File} in {Milliseconds} ms", run.Migration.FileName, (long)elapsed.TotalMilliseconds);
            done.Add(run with { Duration = elapsed });
        }
        if (PendingBehindStarted(status, done, request) is ({ } started, { Count: > 0 } waiting))
        {
            _logger.LogWarning(EventIds.MigrationStarting, "{Count} pending migration(s) wait for {File} to be completed: one operation migration is started at a time", waiting.Count, started.FileName);
            return new MigrationResult(done, DryRun: false) { WaitingFor = started, Waiting = waiting };
        }
        return new MigrationResult(done, DryRun: false);
    }

    /// <summary>
    /// The operation migration started (by <paramref name="done"/>, or before) and the pending migrations an apply left because
    /// of it: Stepwise starts one at a time, so later ones wait for its complete (pgroll#208 asks for several; not done).
    /// </summary>
    private static (Migration? Started, List<Migration> Waiting) PendingBehindStarted(StatusReport status, IReadOnlyList<MigrationRun> done, ApplyRequest request)
    {
        var started = done is [.., { Section: null, Phase: PlanPhase.Start } last]
            ? last.Migration
            : status.Entries.FirstOrDefault(e => e.Migration is { IsOperationMigration: true } && e.State == MigrationState.Started)?.Migration;
        return started is null
            ? (null, [])
            : (started, [.. status.Entries
                .Where(e => e.Migration is { Kind: MigrationKind.Versioned } && e.Version > started.Version && (request.ToVersion is null || e.Version <= request.ToVersion)
                    && e.State is MigrationState.Pending or MigrationState.Failed or MigrationState.Partial)
                .Select(e => e.Migration!)]);
    }

    private List<MigrationRun> PlanApply(StatusReport status, ApplyRequest request)
    {
        var problems = new List<MigrationProblem>();
        foreach (var entry in status.Entries)
        {
            var file = entry.Migration?.Path ?? Path.Combine(_options.Directory, entry.File);
            switch (entry.State)
            {
                case MigrationState.Modified:
                    problems.Add(new MigrationProblem(Severity.Error, "modified", file, 0, 0,
                        $"{entry.File} was changed after it was applied (applied {entry.History!.Checksum[..15]}…, now {entry.Migration!.Checksum[..15]}…)",
                        "undo the edit (git checkout the file), or if the change is intended and already reflected in the database, accept it with: stepwise repair --yes"));
                    break;
                case MigrationState.MissingFile when entry.History is { IsRepeatable: false }:
                    problems.Add(new MigrationProblem(Severity.Error, "missing-file", file, 0, 0,
                        $"history says version {entry.Version} ({entry.File}) is {entry.History.Status.Text()}, but the file is not in the directory",
                        "restore the file (was it applied from another branch or directory?), or forget it with: stepwise repair --yes"));
                    break;
                case MigrationState.Partial when entry.History!.Checksum != entry.Migration!.Checksum:
                    problems.Add(new MigrationProblem(Severity.Error, "modified", file, 0, 0,
                        $"{entry.File} was changed while partially applied (statements 1-{entry.History.StatementsCompleted} ran)",
                        "if the statements that ran are unchanged, accept the edit with: stepwise repair --yes; then apply resumes"));
                    break;
                case MigrationState.Reverting:
                    problems.Add(new MigrationProblem(Severity.Error, "reverting", file, 0, 0,
                        $"a rollback of {entry.File} was interrupted after {entry.History!.StatementsCompleted} statement(s)",
                        "finish it with: stepwise rollback --to " + (entry.Version - 1)));
                    break;
                case MigrationState.OutOfOrder when !request.AllowOutOfOrder && (request.ToVersion is null || entry.Version <= request.ToVersion):
                    problems.Add(new MigrationProblem(Severity.Error, "out-of-order", file, 0, 0,
                        $"{entry.File} is pending but older than version {status.CurrentVersion}, which is applied (a migration from a merged branch?)",
                        "check it does not depend on, or conflict with, the newer ones; then apply with --allow-out-of-order, or give it a newer version"));
                    break;
            }
        }
        if (problems.Count > 0)
        {
            throw new MigrationRefusedException("nothing was applied: history and the migration directory disagree", problems);
        }

        var plan = new List<MigrationRun>();
        var waiting = false;
        foreach (var entry in status.Entries.Where(e => e.Migration is { Kind: MigrationKind.Versioned }))
        {
            if (request.ToVersion is not null && entry.Version > request.ToVersion)
            {
                continue;
            }
            if (entry.Migration!.IsOperationMigration && entry.State is MigrationState.Started or MigrationState.InProgress)
            {
                if (entry.History!.Status == HistoryStatus.RollingBack)
                {
                    throw new MigrationRefusedException($"a rollback of {entry.File} was interrupted", [new MigrationProblem(Severity.Error, "rolling-back", entry.Migration.Path, 0, 0,
                        $"a rollback of {entry.File} was interrupted after {entry.History.StatementsCompleted} step(s)", "finish it with: stepwise rollback")]);
                }
                if (entry.State == MigrationState.Started && !request.Complete)
                {
                    _logger.LogInformation(EventIds.MigrationStarting, "{File} is started and waits for stepwise complete; later migrations wait for it", entry.File);
                    waiting = true;
                    break;
                }
                plan.Add(new MigrationRun(entry.Migration, PlanPhase.Start, [], 0, TimeSpan.Zero));
                continue;
            }
            if (entry.State is MigrationState.Pending or MigrationState.OutOfOrder or MigrationState.Failed or MigrationState.Partial)
            {
                if (entry.Migration.IsOperationMigration)
                {
                    plan.Add(new MigrationRun(entry.Migration, PlanPhase.Start, [], 0, TimeSpan.Zero));
                    continue;
                }
                var resume = entry.State == MigrationState.Partial ? entry.History!.StatementsCompleted : 0;
                plan.Add(MigrationRun.Of(entry.Migration!, entry.Migration!.Up!, resume));
            }
        }
        if (waiting)
        {
            return plan;
        }
        // Repeatable migrations run after the versioned ones, and only when everything versioned is applied.
        var allVersionedApplied = request.ToVersion is null || status.Entries.All(e => e.Migration is not { Kind: MigrationKind.Versioned } || e.Version <= request.ToVersion);
        if (allVersionedApplied)
        {
            plan.AddRange(status.Entries
                .Where(e => e.Migration is { Kind: MigrationKind.Repeatable } && e.State is MigrationState.Pending or MigrationState.Failed)
                .Select(e => MigrationRun.Of(e.Migration!, e.Migration!.Up!, 0)));
        }
        return plan;
    }

    /// <summary>
    /// Runs down sections, newest first: to <paramref name="toVersion"/> (exclusive), or the newest
    /// <paramref name="steps"/> applied migrations (default 1). Refuses, changing nothing, when any
    /// of them has no down section.
    /// </summary>
    public async Task<MigrationResult> RollbackAsync(long? toVersion = null, int? steps = null, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        using var activity = StartRunActivity("stepwise.rollback", dryRun);
        var directory = LoadDirectory(parse: true);
        await using var session = await Session.OpenAsync(this, takeLock: !dryRun, cancellationToken);
        var rows = await _history.ReadAsync(session.Observer, cancellationToken);
        var status = StatusReport.Compute(directory, rows);
        if (await RollbackOperationAsync(session, status, dryRun, cancellationToken) is { } aborted)
        {
            return aborted; // a started operation migration is always the newest: later ones wait for it
        }

        var applied = status.Entries
            .Where(e => e.History is { IsRepeatable: false, Status: HistoryStatus.Applied or HistoryStatus.Reverting or HistoryStatus.Partial })
            .OrderByDescending(e => e.Version)
            .ToList();
        var targets = toVersion is { } v ? applied.Where(e => e.Version > v).ToList() : applied.Take(steps ?? 1).ToList();
        var problems = new List<MigrationProblem>();
        foreach (var entry in targets)
        {
            var file = entry.Migration?.Path ?? Path.Combine(_options.Directory, entry.File);
            if (entry.Migration is null)
            {
                problems.Add(new MigrationProblem(Severity.Error, "missing-file", file, 0, 0, $"version {entry.Version} is applied but {entry.File} is not in the directory", "restore the file to roll it back"));
            }
            else if (entry.Migration.IsOperationMigration)
            {
                problems.Add(new MigrationProblem(Severity.Error, "completed-operations", file, 0, 0,
                    $"{entry.File} is an operation migration that was completed; rollback only aborts one that is started",
                    "write a new migration that undoes it"));
            }
            else if (entry.Migration.Down is null)
            {
                problems.Add(new MigrationProblem(Severity.Error, "no-down-section", file, 0, 0, $"{entry.File} has no down section, so it cannot be rolled back",
                    "write its undoing under -- stepwise:down (then accept the edit with stepwise repair --yes), or undo it by hand"));
            }
            else if (entry.State == MigrationState.Modified)
            {
                problems.Add(new MigrationProblem(Severity.Error, "modified", file, 0, 0, $"{entry.File} was changed after it was applied", "undo the edit, or accept it with stepwise repair --yes"));
            }
            else if (entry.State == MigrationState.Partial)
            {
                problems.Add(new MigrationProblem(Severity.Error, "partial", file, 0, 0, $"{entry.File} is only partially applied",
                    "finish it with stepwise apply first (its down section expects the whole migration)"));
            }
        }
        if (problems.Count > 0)
        {
            throw new MigrationRefusedException("nothing was rolled back", problems);
        }
        var plan = targets.Select(e => MigrationRun.Of(e.Migration!, e.Migration!.Down!,
            e.History!.Status == HistoryStatus.Reverting ? e.History.StatementsCompleted : 0)).ToList();
        ThrowIfTransactionControl(plan, "nothing was rolled back");
        if (dryRun)
        {
            return new MigrationResult(plan, DryRun: true) { ForeignKeys = await ForeignKeys.LoadAsync(_connectionString, cancellationToken) };
        }

        var executor = new PlanExecutor(session.Work, session.Observer, _history, _options, _logger);
        var history = HistoryByMigration(status);
        var done = new List<MigrationRun>();
        foreach (var run in plan)
        {
            var elapsed = await RunTracedAsync(executor, run, history.GetValueOrDefault(run.Migration), cancellationToken);
            _logger.LogInformation(EventIds.MigrationRolledBack, "rolled back {File} in {Milliseconds} ms", run.Migration.FileName, (long)elapsed.TotalMilliseconds);
            done.Add(run with { Duration = elapsed });
        }
        return new MigrationResult(done, DryRun: false);
    }

    /// <summary>
    /// Adopts an existing database: records every versioned migration up to <paramref name="version"/>
    /// as applied without running it. Refuses when history already has rows.
    /// </summary>
    public async Task<IReadOnlyList<Migration>> BaselineAsync(long version, CancellationToken cancellationToken = default)
    {
        var directory = LoadDirectory(parse: true);
        await using var session = await Session.OpenAsync(this, takeLock: true, cancellationToken);
        var rows = await _history.ReadAsync(session.Observer, cancellationToken);
        if (rows.Count > 0)
        {
            throw new MigrationRefusedException($"the database already has migration history ({rows.Count} row(s) in {_options.StateSchema}.migrations); baseline is for adopting a database that has none");
        }
        var adopted = directory.Versioned.Where(m => m.Version <= version).ToList();
        if (adopted.Count == 0)
        {
            throw new MigrationRefusedException($"no migration in {_options.Directory} has a version up to {version}");
        }
        await RecordBaselineAsync(session, adopted, _ => $"marked applied without running, as part of baseline {version}", cancellationToken);
        return adopted;
    }

    /// <summary>
    /// Adopts a database another tool migrated: reads that tool's history table (only reads it) and records
    /// as applied, without running them, exactly the migrations imported from the ones it lists (found by
    /// the <c>-- imported from</c> header <c>stepwise import</c> writes). A repeatable migration is recorded
    /// only when the tool last ran exactly its content (Flyway's checksum); otherwise the next apply runs it.
    /// Refuses when history already has rows, when the table is
    /// missing, or when it lists a migration that was not imported.
    /// </summary>
    public Task<IReadOnlyList<Migration>> BaselineFromAsync(ImportSource from, CancellationToken cancellationToken = default) =>
        BaselineFromAsync(from, skipNotImported: false, cancellationToken);

    /// <summary>
    /// As <see cref="BaselineFromAsync(ImportSource, CancellationToken)"/>; with <paramref name="skipNotImported"/>, a migration the
    /// tool's history lists but the directory has no import of (a code migration <c>import --skip-code</c> left out: goose's Go
    /// migrations, a Prisma folder's <c>migration.ts</c>) is named in a warning instead of refusing.
    /// </summary>
    public Task<IReadOnlyList<Migration>> BaselineFromAsync(ImportSource from, bool skipNotImported, CancellationToken cancellationToken = default) =>
        BaselineFromAsync(from, skipNotImported, null, cancellationToken);

    /// <summary>
    /// As <see cref="BaselineFromAsync(ImportSource, bool, CancellationToken)"/>, reading <paramref name="historyTable"/>
    /// (<c>[schema.]name</c>) instead of the tool's default table, where the project renamed it; null reads the default.
    /// </summary>
    public async Task<IReadOnlyList<Migration>> BaselineFromAsync(ImportSource from, bool skipNotImported, string? historyTable, CancellationToken cancellationToken = default)
    {
        var directory = LoadDirectory(parse: true);
        await using var session = await Session.OpenAsync(this, takeLock: true, cancellationToken);
        var rows = await _history.ReadAsync(session.Observer, cancellationToken);
        if (rows.Count > 0)
        {
            throw new MigrationRefusedException($"the database already has migration history ({rows.Count} row(s) in {_options.StateSchema}.migrations); baseline is for adopting a database that has none");
        }
        var tool = Importer.Name(from);
        ForeignHistory? read;
        try
        {
            read = await ForeignHistory.ReadAsync(session.Observer, from, historyTable, cancellationToken);
        }
        catch (ForeignHistoryMismatchException ex)
        {
            throw new MigrationRefusedException($"{ex.Message}; {ex.Hint}");
        }
        var foreign = read
            ?? throw new MigrationRefusedException(historyTable is not null
                ? $"the database has no table {historyTable} (as given to --table, on the search path unless qualified): nothing to baseline from"
                : $"the database has no {tool} history table ({string.Join(" or ", ForeignHistory.Tables(from))} on the search path): nothing to baseline from; " +
                  $"where the project gave {tool}'s table another name{(from == ImportSource.SqlMigrate ? " (sql-migrate's dbconfig.yml table:, migrate.SetTable: nakama's is migration_info)" : "")}, name it: stepwise baseline --from {tool} --table <its name>");
        // FluentMigrator's migrations are C# classes, so none was imported: a versioned migration stands for the FluentMigrator
        // migration of its own version number, which its author wrote it to do.
        var origins = from == ImportSource.FluentMigrator
            ? directory.All.Where(m => m.Kind == MigrationKind.Versioned)
                .ToDictionary(m => m, m => new ImportedFrom(from, m.FileName, m.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), null))
            : directory.All
                .Select(m => (Migration: m, Origin: ImportOrigin.Read(m.Script?.Source.Text ?? File.ReadAllText(m.Path))))
                .Where(x => x.Origin?.From == from)
                .ToDictionary(x => x.Migration, x => x.Origin!);
        var imported = origins.Where(x => x.Key.Kind == MigrationKind.Versioned && x.Value.Version is not null).ToDictionary(x => x.Key, x => x.Value.Version!);
        if (origins.Count == 0)
        {
            throw new MigrationRefusedException(from == ImportSource.FluentMigrator
                ? $"{_options.Directory} has no versioned migration to stand for FluentMigrator's: write each as <version>_<name>.sql, numbered as its [Migration(version)] attribute"
                : $"no migration in {_options.Directory} was imported from {tool} (their first line would say: -- imported from {tool}: ...); import them with: stepwise import {tool} ...");
        }
        // A Flyway baseline migration (B<version>__) stands for every version up to its own: what the table lists up to it
        // needs no file of its own, and the database holds it once the table reaches its version.
        var baselineMigrations = imported.Where(x => from == ImportSource.Flyway && origins[x.Key].SourceFile.StartsWith('B')).ToDictionary(x => x.Key, x => x.Value);
        var reimport = $"import the {tool} migrations again into this directory, or adopt by version with: stepwise baseline <version>";
        var problems = foreign.Applied.Where(id => !imported.Values.Any(v => foreign.Names(id, v)) && !baselineMigrations.Values.Any(b => ForeignHistory.AtOrBelow(id, b)))
            .Select(id => from == ImportSource.FluentMigrator
                ? new MigrationProblem(Severity.Error, "not-imported", _options.Directory, 0, 0,
                    $"{foreign.Table} lists {id} as applied, but no migration in the directory has version {id}",
                    $"write what FluentMigrator's migration {id} does as {id}_<name>.sql (then stepwise hash), or pass --skip-code when no Stepwise migration needs to stand for it")
                : new MigrationProblem(Severity.Error, "not-imported", _options.Directory, 0, 0,
                    $"{foreign.Table} lists {id} as applied, but no migration in the directory was imported from it", reimport))
            .Concat(Ambiguities(foreign, imported))
            // golang-migrate and tern keep only the last version applied: it must be one the directory has.
            .Concat(from is ImportSource.GolangMigrate or ImportSource.Tern
                ? foreign.Baselines.Where(b => !imported.Values.Any(v => foreign.Names(b, v)) && ForeignHistory.Compare(b, "0") > 0)
                    .Select(b => new MigrationProblem(Severity.Error, "not-imported", _options.Directory, 0, 0,
                        $"{foreign.Table} says {tool} applied every migration up to {b}, but no migration in the directory was imported from {tool} version {b}", reimport))
                : [])
            .Concat(foreign.Partial.Select(id => new MigrationProblem(Severity.Error, "partially-applied", _options.Directory, 0, 0,
                from switch
                {
                    ImportSource.GolangMigrate => $"{foreign.Table} is dirty at version {id}: golang-migrate's last run of it failed part-way, so what the database holds is unknown",
                    ImportSource.Prisma => $"{foreign.Table} says {id} failed part-way (neither finished nor rolled back)",
                    ImportSource.Sqlx => $"{foreign.Table} says version {id} failed part-way (success is false), so what the database holds is unknown",
                    ImportSource.Evolve => $"{foreign.Table} lists version {id} only as failed (success = false): Evolve's last run of it failed, and what it left depends on whether it ran in a transaction",
                    _ => $"{foreign.Table} says {id} is only partially applied",
                },
                from switch
                {
                    ImportSource.GolangMigrate => $"finish or undo {id} by hand, mark it with: migrate force {id} (done) or migrate force <previous version> (undone), then baseline",
                    ImportSource.Prisma => $"finish or undo it by hand, mark it with: prisma migrate resolve --applied {id} (or --rolled-back {id}), then baseline",
                    ImportSource.Sqlx => $"finish it by hand and set its success to true, or undo it by hand and delete its row from {foreign.Table} (as sqlx asks), then baseline",
                    ImportSource.Evolve => $"finish it with evolve migrate; or, if it ran in a transaction (Evolve's default, no evolve-tx-off) and so left nothing, delete its failed rows from {foreign.Table}; then baseline",
                    _ => $"finish or resolve it with {tool} first, then baseline",
                })))
            .Concat(imported.Where(x => origins[x.Key].Checksum is { } c && foreign.AppliedChecksum(x.Value) is { } recorded && recorded != c)
                .Select(x => new MigrationProblem(Severity.Error, "edited-after-applied", x.Key.Path, 0, 0,
                    $"{foreign.Table} recorded another checksum for {x.Value} than {origins[x.Key].SourceFile} had when it was imported: the file was edited after {tool} ran it, so the database holds what the earlier file did",
                    $"find what changed (the file's history in version control) and bring the database and the file in line, then import again; a project that hashes without some characters (sqlx.toml ignored-chars) can adopt by version instead: stepwise baseline <version>")))
            .ToList();
        if (skipNotImported)
        {
            foreach (var skipped in problems.Where(p => p.Code == "not-imported"))
            {
                _logger.LogWarning(EventIds.BaselineSkipped, "{Message}: left out (--skip-code); whatever it did is in the database, and no Stepwise migration stands for it", skipped.Message);
            }
            problems.RemoveAll(p => p.Code == "not-imported");
        }
        if (problems.Count > 0)
        {
            throw new MigrationRefusedException("nothing was recorded: history and the migration directory disagree", problems);
        }
        var adopted = imported.Where(x => foreign.IsApplied(x.Value) || baselineMigrations.ContainsKey(x.Key) && foreign.Reached(x.Value)).Select(x => x.Key).OrderBy(m => m.Version).ToList();
        if (adopted.Count == 0)
        {
            throw new MigrationRefusedException($"{foreign.Table} lists no applied migration: nothing to baseline (run stepwise apply instead)");
        }
        // A repeatable migration counts only when the tool last ran exactly this content (Flyway's checksum).
        adopted.AddRange(origins.Where(x => x.Key.Kind == MigrationKind.Repeatable && x.Value.Checksum is { } c && foreign.IsRepeatableCurrent(x.Value.SourceFile, c))
            .Select(x => x.Key).OrderBy(m => m.FileName, StringComparer.Ordinal));
        await RecordBaselineAsync(session, adopted, m => m.Kind == MigrationKind.Repeatable
            ? $"marked applied without running: {tool} ran {origins[m].SourceFile} with checksum {origins[m].Checksum} ({foreign.Table})"
            : $"marked applied without running: {tool} {imported[m]} is applied in {foreign.Table}", cancellationToken);
        return adopted;
    }

    /// <summary>
    /// Errors when the table and the directory do not pair one to one: two imported migrations that one listed id names, or
    /// one imported migration that two listed ids name (DbUp: <c>0001.sql</c> and an embedded <c>App.Scripts.0001.sql</c>,
    /// two scripts DbUp ran), so which one the database holds is not known.
    /// </summary>
    private IEnumerable<MigrationProblem> Ambiguities(ForeignHistory foreign, Dictionary<Migration, string> imported)
    {
        foreach (var id in foreign.Applied)
        {
            if (imported.Where(x => foreign.Names(id, x.Value)).Select(x => x.Key.FileName).ToList() is { Count: > 1 } files)
            {
                yield return new MigrationProblem(Severity.Error, "ambiguous", _options.Directory, 0, 0,
                    $"{foreign.Table} lists {id}, which names {string.Join(" and ", files)} alike, so which of them ran is not known",
                    "keep only the one it ran in this directory (then stepwise hash), or adopt by version with: stepwise baseline <version>");
            }
        }
        foreach (var (migration, id) in imported)
        {
            if (foreign.Applied.Where(a => foreign.Names(a, id)).ToList() is { Count: > 1 } listed)
            {
                yield return new MigrationProblem(Severity.Error, "ambiguous", migration.Path, 0, 0,
                    $"{foreign.Table} lists {string.Join(" and ", listed)}, which all name {migration.FileName} ({id}): the tool ran that many scripts of that name, and which one this file is is not known",
                    "import each set of scripts the tool ran into its own directory, or adopt by version with: stepwise baseline <version>");
            }
        }
    }

    private async Task RecordBaselineAsync(Session session, List<Migration> adopted, Func<Migration, string> detail, CancellationToken cancellationToken)
    {
        var commands = adopted.SelectMany(m => _history.Record(m.Version, m.FileName, m.Kind == MigrationKind.Repeatable ? HistoryStore.Repeatable : HistoryStore.Versioned,
                m.Checksum, HistoryStatus.Applied, 0, m.Up?.Statements.Count ?? 0, null, null)
            .Append(_history.Event(m.Version, m.FileName, "baseline", detail(m))));
        await RunInTransactionAsync(session.Work, commands, cancellationToken);
    }

    /// <summary>
    /// Brings history in line with intentional changes: re-records checksums of edited migrations,
    /// clears failed attempts, forgets rows whose file is gone. With <paramref name="apply"/> false,
    /// only lists what it would do.
    /// </summary>
    public async Task<IReadOnlyList<RepairChange>> RepairAsync(bool apply, CancellationToken cancellationToken = default)
    {
        var directory = LoadDirectory(parse: false);
        await using var session = await Session.OpenAsync(this, takeLock: apply, cancellationToken);
        var rows = await _history.ReadAsync(session.Observer, cancellationToken);
        var status = StatusReport.Compute(directory, rows);
        var changes = new List<(RepairChange Change, NpgsqlBatchCommand[] Commands)>();
        foreach (var entry in status.Entries.Where(e => e.History is not null))
        {
            var row = entry.History!;
            if (entry.Migration is null)
            {
                changes.Add((new RepairChange(row.Version, row.File, $"forget: {row.Status.Text()} in history, but the file is gone"),
                    [_history.Delete(row.Version, row.File, row.Kind), _history.Event(row.Version, row.File, "repair", "forgotten: file gone")]));
            }
            else if (row.Status == HistoryStatus.Failed)
            {
                changes.Add((new RepairChange(row.Version, row.File, "clear the failed attempt (it will be applied again)"),
                    [_history.Delete(row.Version, row.File, row.Kind), _history.Event(row.Version, row.File, "repair", "failed attempt cleared")]));
            }
            else if (row.Checksum != entry.Migration.Checksum)
            {
                changes.Add((new RepairChange(row.Version, row.File, $"re-record checksum {row.Checksum[..15]}… → {entry.Migration.Checksum[..15]}…"),
                    [_history.UpdateChecksum(row.Version, entry.Migration.FileName, row.Kind, entry.Migration.Checksum),
                     _history.Event(row.Version, row.File, "repair", $"checksum {row.Checksum} → {entry.Migration.Checksum}")]));
            }
        }
        if (apply && changes.Count > 0)
        {
            await RunInTransactionAsync(session.Work, changes.SelectMany(c => c.Commands), cancellationToken);
        }
        return [.. changes.Select(c => c.Change)];
    }

    private Activity? StartRunActivity(string name, bool dryRun)
    {
        var activity = StepwiseDiagnostics.ActivitySource.StartActivity(name);
        activity?.SetTag(StepwiseDiagnostics.SchemaTag, _options.StateSchema);
        activity?.SetTag("stepwise.dry_run", dryRun);
        return activity;
    }

    /// <summary>Runs one migration's section (compiled to steps) inside its activity, and records its duration (and, applied, the count).</summary>
    private async Task<TimeSpan> RunTracedAsync(PlanExecutor executor, MigrationRun run, HistoryRow? row, CancellationToken cancellationToken)
    {
        using var activity = StepwiseDiagnostics.StartMigration(run);
        var clock = Stopwatch.StartNew();
        try
        {
            var section = run.Section!;
            var journal = new SectionJournal(_history, run.Migration, section);
            var resuming = !section.RunsInTransaction && row is not null && row.Status == journal.ProgressStatus;
            var elapsed = await executor.RunAsync(new PlanJob(run.Migration, section.Steps, resuming ? row!.StatementsCompleted : 0, resuming, journal,
                section.LockTimeout, section.StatementTimeout ?? _options.StatementTimeout ?? TimeSpan.Zero), cancellationToken);
            StepwiseDiagnostics.RecordMigration(run, elapsed, succeeded: true);
            return elapsed;
        }
        catch (Exception ex)
        {
            StepwiseDiagnostics.RecordMigration(run, clock.Elapsed, succeeded: false);
            StepwiseDiagnostics.Fail(activity, ex);
            throw;
        }
    }

    private static Dictionary<Migration, HistoryRow?> HistoryByMigration(StatusReport status) =>
        status.Entries.Where(e => e.Migration is not null).ToDictionary(e => e.Migration!, e => e.History);

    private MigrationDirectory LoadDirectory(bool parse)
    {
        var directory = MigrationDirectory.Load(_options.Source ?? MigrationSource.FromDirectory(_options.Directory), new MigrationDirectoryOptions { Parse = parse });
        if (directory.HasErrors)
        {
            throw new MigrationRefusedException($"the migration directory {directory.Path} has errors", [.. directory.Problems.Where(p => p.Severity == Severity.Error)]);
        }
        return directory;
    }

    /// <summary>A connection for a run that takes locks.</summary>
    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = DataSources.Connection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        if (connection.PostgreSqlVersion.Major >= 14)
        {
            // A killed runner's session (and its locks) ends within seconds instead of when its query does.
            await using var command = new NpgsqlCommand("SET client_connection_check_interval = '2s'", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        return connection;
    }

    private static async Task RunInTransactionAsync(NpgsqlConnection connection, IEnumerable<NpgsqlBatchCommand> commands, CancellationToken cancellationToken)
    {
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, tx);
        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Refuses, before anything runs, a section to be run that controls transactions itself (<c>BEGIN</c>, <c>COMMIT</c>,
    /// <c>ROLLBACK</c>, savepoints, at the top level; PL/pgSQL's own inside a body is not one of them). Stepwise writes the
    /// history record in the migration's transaction, or with each statement: a <c>COMMIT</c> ends that transaction
    /// under it (the run then fails with the work half recorded), a <c>BEGIN</c> leaves one open across statements.
    /// Files written for tools that run a file in one transaction escape it that way for
    /// <c>CREATE INDEX CONCURRENTLY</c> (<c>COMMIT; CREATE INDEX CONCURRENTLY ...; BEGIN;</c>), which Stepwise needs
    /// no help for: it runs such a section statement by statement by itself. (The linter's rule transaction-control.)
    /// </summary>
    private static void ThrowIfTransactionControl(IEnumerable<MigrationRun> plan, string nothing)
    {
        var problems = plan
            .Where(r => r.Section is not null)
            .SelectMany(r => r.Section!.Statements.Where(s => s.Tree?.TransactionControl is not null).Select(s => new MigrationProblem(Severity.Error, "transaction-control",
                r.Migration.Path, s.Span.StartLine, s.Span.StartColumn,
                $"{s.Tree!.CommandTag} in a migration: Stepwise runs each migration's transactions itself and records its history in them, so this would end or open one under it",
                "remove it (a statement that cannot run in a transaction, such as CREATE INDEX CONCURRENTLY, makes Stepwise run the section statement by statement by itself), then stepwise hash")))
            .ToList();
        if (problems.Count > 0)
        {
            throw new MigrationRefusedException($"{nothing}: {problems.Count} statement(s) control transactions, which Stepwise does itself", problems);
        }
    }

    /// <summary>
    /// The connections of one run: the observer, which holds the migration lock and reads history and
    /// blocking sessions, and the work connection, which runs migrations.
    /// </summary>
    private sealed class Session : IAsyncDisposable
    {
        private AdvisoryLock? _lock;

        private Session(NpgsqlConnection observer, NpgsqlConnection work)
        {
            Observer = observer;
            Work = work;
        }

        public NpgsqlConnection Observer { get; }

        public NpgsqlConnection Work { get; }

        public static async Task<Session> OpenAsync(Migrator migrator, bool takeLock, CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            var observer = await migrator.OpenAsync(cancellationToken);
            NpgsqlConnection? work = null;
            try
            {
                work = await migrator.OpenAsync(cancellationToken);
                var session = new Session(observer, work);
                if (takeLock)
                {
                    await TransactionPooling.ThrowIfPooledAsync(observer, work, cancellationToken);
                    session._lock = await AdvisoryLock.AcquireAsync(observer, migrator._options.StateSchema, migrator._options.WaitForLock, migrator._logger, cancellationToken);
                    await migrator._history.EnsureAsync(observer, cancellationToken);
                }
                migrator._logger.LogDebug("connected in {Milliseconds} ms", clock.ElapsedMilliseconds);
                return session;
            }
            catch
            {
                if (work is not null)
                {
                    await work.DisposeAsync();
                }
                await observer.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Work.DisposeAsync();
            if (_lock is not null)
            {
                await _lock.DisposeAsync();
            }
            await Observer.DisposeAsync();
        }
    }
}
