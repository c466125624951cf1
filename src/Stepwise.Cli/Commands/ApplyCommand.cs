using System.CommandLine;
using Stepwise.Cli.Rendering;
using Stepwise.Execution;
using Stepwise.Migrations;

namespace Stepwise.Cli.Commands;

/// <summary><c>stepwise apply</c>: applies pending migrations under the migration lock.</summary>
internal sealed class ApplyCommand : ICliCommand
{
    private readonly Option<long?> _to = new("--to") { Description = "Apply nothing newer than this version" };
    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Print what would run (statements, transactions, locks); change nothing" };
    private readonly Option<bool> _outOfOrder = new("--allow-out-of-order") { Description = "Apply pending migrations older than an applied one (e.g. from a merged branch)" };
    private readonly Option<bool> _complete = new("--complete") { Description = "Also run an operation migration's complete phase right after its start (no rollout window); refuses while instances of an older schema version are alive (--wait, --force), as complete does" };
    private readonly GateOptions _gate = new();
    private readonly RunOptions _run = new();

    public Command Build()
    {
        var command = new Command("apply", "Apply pending migrations: one transaction each, or statement by statement (resumable) when a statement cannot run in one");
        command.Options.Add(_to);
        command.Options.Add(_dryRun);
        command.Options.Add(_outOfOrder);
        command.Options.Add(_complete);
        _gate.AddTo(command);
        _run.AddTo(command);
        return command;
    }

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        if (!parse.GetValue(_complete) && _gate.AnyGiven(parse))
        {
            throw new CliException(ExitCodes.BadInput, "--force and --wait only apply to the complete phase: pass them with --complete (or to stepwise complete)");
        }
        MigratorOptions? options = null;
        var migrator = context.CreateMigrator(o =>
        {
            _run.Configure(parse, o);
            _gate.Configure(parse, o);
            options = o;
        });
        var result = await BackfillBars.RunAsync(context, options!.Backfill, () => migrator.ApplyAsync(new ApplyRequest
        {
            ToVersion = parse.GetValue(_to),
            DryRun = parse.GetValue(_dryRun),
            AllowOutOfOrder = parse.GetValue(_outOfOrder),
            Complete = parse.GetValue(_complete),
        }, cancellationToken));
        RunRendering.Render(context.Output, result, "apply");
        return ExitCodes.Success;
    }
}

/// <summary>Options shared by the commands that run migrations.</summary>
internal sealed class RunOptions
{
    private readonly Option<string?> _lockTimeout = new("--lock-timeout") { Description = "lock_timeout for backfill batches, which queue nobody (default 2s)" };
    private readonly Option<string?> _statementTimeout = new("--statement-timeout") { Description = "statement_timeout for migration statements (default none)" };
    private readonly Option<string?> _maxLockWait = new("--max-lock-wait") { Description = "Longest lock_timeout of a statement, the worst wait a client sees behind it (default 1s); holders older than this are waited out, not queued behind" };
    private readonly Option<string?> _lockDeadline = new("--lock-deadline") { Description = "How long one statement keeps trying to get its locks before the run stops, resumable (default 30min)" };
    private readonly Option<bool> _noCancelAutovacuum = new("--no-cancel-autovacuum") { Description = "Wait for an autovacuum holding a conflicting lock instead of cancelling it" };
    private readonly Option<string?> _terminateIdle = new("--terminate-idle-after") { Description = "Terminate sessions idle in transaction longer than this that hold a conflicting lock (default: never, they are reported)" };
    private readonly Option<bool> _noWait = new("--no-wait") { Description = "Exit (code 3) instead of waiting when another run holds the migration lock" };
    private readonly Option<string?> _stepLockTimeout = new("--step-lock-timeout") { Description = "First lock_timeout of every lock-taking statement (default 50ms; clients queue behind a waiting statement); it rises toward the table's own transaction times, up to --max-lock-wait" };
    private readonly Option<string?> _batchTime = new("--batch-time") { Description = "Target duration of one backfill batch (one transaction holding its row locks; default 200ms); a batch past 1.125 times it (at least 50ms) is cancelled and retried smaller" };
    private readonly Option<string?> _batchPause = new("--batch-pause") { Description = "Pause after each backfill batch, leaving room to traffic (default none)" };
    private readonly Option<string?> _maxLag = new("--max-replication-lag") { Description = "Hold backfill batches while a replica's replay lag is above this (default 30s)" };
    private readonly Option<int?> _rate = new("--backfill-rate") { Description = "Limit backfills to this many rows per second (default none; stepwise backfill set --rate changes it while they run)" };
    private readonly Option<string?> _latencyQuery = new("--latency-query") { Description = "SQL returning the application's current latency (milliseconds or an interval); backfills yield while it is above --max-latency" };
    private readonly Option<string?> _maxLatency = new("--max-latency") { Description = "The application latency backfills keep under with --latency-query (default 50ms)" };
    private readonly Option<bool> _waitForVacuum = new("--wait-for-vacuum") { Description = "Hold backfill batches while a vacuum (autovacuum or VACUUM) works on the table" };
    private readonly Option<bool> _noBackfillVacuum = new("--no-backfill-vacuum") { Description = "Do not VACUUM a backfill's table behind its walk (by default every twentieth of its rows, so replaced rows free their room)" };
    private readonly Option<string?> _maxWalRate = new("--max-wal-rate") { Description = "Hold backfill batches while the server writes more WAL per second than this, e.g. 20MB (default none)" };
    private readonly Option<string?> _maxSnapshotAge = new("--max-snapshot-age") { Description = "Hold backfill batches while another transaction has held its snapshot longer than this (default 15min; 0 never)" };

    public void AddTo(Command command)
    {
        command.Options.Add(_stepLockTimeout);
        command.Options.Add(_batchTime);
        command.Options.Add(_batchPause);
        command.Options.Add(_maxLag);
        command.Options.Add(_rate);
        command.Options.Add(_latencyQuery);
        command.Options.Add(_maxLatency);
        command.Options.Add(_waitForVacuum);
        command.Options.Add(_noBackfillVacuum);
        command.Options.Add(_maxWalRate);
        command.Options.Add(_maxSnapshotAge);
        command.Options.Add(_lockTimeout);
        command.Options.Add(_statementTimeout);
        command.Options.Add(_maxLockWait);
        command.Options.Add(_lockDeadline);
        command.Options.Add(_noCancelAutovacuum);
        command.Options.Add(_terminateIdle);
        command.Options.Add(_noWait);
    }

    public void Configure(ParseResult parse, MigratorOptions options)
    {
        if (parse.GetValue(_lockTimeout) is { } lockTimeout)
        {
            options.LockTimeout = Duration(lockTimeout, "--lock-timeout");
        }
        if (parse.GetValue(_statementTimeout) is { } statementTimeout)
        {
            options.StatementTimeout = Duration(statementTimeout, "--statement-timeout");
        }
        if (parse.GetValue(_maxLockWait) is { } maxLockWait)
        {
            options.MaxLockWait = Positive(Duration(maxLockWait, "--max-lock-wait"), "--max-lock-wait");
        }
        if (parse.GetValue(_lockDeadline) is { } deadline)
        {
            options.LockDeadline = Positive(Duration(deadline, "--lock-deadline"), "--lock-deadline");
        }
        options.CancelAutovacuum = !parse.GetValue(_noCancelAutovacuum);
        if (parse.GetValue(_terminateIdle) is { } idle)
        {
            options.TerminateIdleInTransactionAfter = Duration(idle, "--terminate-idle-after");
        }
        options.WaitForLock = !parse.GetValue(_noWait);
        if (parse.GetValue(_stepLockTimeout) is { } stepLockTimeout)
        {
            options.StepLockTimeout = Duration(stepLockTimeout, "--step-lock-timeout");
        }
        if (parse.GetValue(_batchTime) is { } batchTime)
        {
            options.Backfill.TargetBatchDuration = Duration(batchTime, "--batch-time");
        }
        if (parse.GetValue(_batchPause) is { } pause)
        {
            options.Backfill.Pause = Duration(pause, "--batch-pause");
        }
        if (parse.GetValue(_maxLag) is { } lag)
        {
            options.Backfill.MaxReplicationLag = Duration(lag, "--max-replication-lag");
        }
        if (parse.GetValue(_rate) is { } rate)
        {
            options.Backfill.MaxRowsPerSecond = rate > 0 ? rate : throw new CliException(ExitCodes.BadInput, "--backfill-rate must be more than 0 rows per second");
        }
        if (parse.GetValue(_latencyQuery) is { } query)
        {
            options.Backfill.ClientLatencyQuery = string.IsNullOrWhiteSpace(query)
                ? throw new CliException(ExitCodes.BadInput, "--latency-query is empty: give a query that returns the application's latency in milliseconds")
                : query;
        }
        if (parse.GetValue(_maxLatency) is { } maxLatency)
        {
            options.Backfill.TargetClientLatency = Positive(Duration(maxLatency, "--max-latency"), "--max-latency");
        }
        options.Backfill.WaitWhileVacuumed |= parse.GetValue(_waitForVacuum);
        options.Backfill.VacuumAsItGoes &= !parse.GetValue(_noBackfillVacuum);
        if (parse.GetValue(_maxWalRate) is { } walRate)
        {
            options.Backfill.MaxWalBytesPerSecond = ByteSize.TryParse(walRate, out var bytes) && bytes > 0
                ? bytes
                : throw new CliException(ExitCodes.BadInput, $"--max-wal-rate '{walRate}' is not a size per second: write e.g. 20MB, 512kB");
        }
        if (parse.GetValue(_maxSnapshotAge) is { } snapshotAge)
        {
            var age = Duration(snapshotAge, "--max-snapshot-age");
            options.Backfill.MaxSnapshotAge = age > TimeSpan.Zero ? age : null;
        }
    }

    internal static TimeSpan Positive(TimeSpan duration, string option) =>
        duration > TimeSpan.Zero ? duration : throw new CliException(ExitCodes.BadInput, $"{option} must be more than 0");

    internal static TimeSpan Duration(string text, string option) =>
        DurationText.TryParse(text, out var duration)
            ? duration
            : throw new CliException(ExitCodes.BadInput, $"{option} '{text}' is not a duration: write e.g. 500ms, 5s, 10min");
}
