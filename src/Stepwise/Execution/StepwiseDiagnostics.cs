using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Stepwise.Execution;

/// <summary>
/// Stepwise's metrics and traces, under the name <c>Stepwise</c> for both the <see cref="Meter"/> and the
/// <see cref="ActivitySource"/>, so OpenTelemetry (<c>AddMeter("Stepwise")</c>, <c>AddSource("Stepwise")</c>) or
/// <c>dotnet-counters</c> pick them up with no other code. The CLI and the hosting package report through
/// the same instruments, because they come from the library.
/// </summary>
public static class StepwiseDiagnostics
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "Stepwise";

    private static readonly string? s_version = typeof(StepwiseDiagnostics).Assembly.GetName().Version?.ToString();

    /// <summary>The activity source: <c>stepwise.apply</c> and <c>stepwise.rollback</c> around a run, <c>stepwise.migration</c> around each migration.</summary>
    public static ActivitySource ActivitySource { get; } = new(Name, s_version);

    /// <summary>The meter all Stepwise instruments belong to.</summary>
    public static Meter Meter { get; } = new(Name, s_version);

    /// <summary><c>stepwise.migrations.applied</c>: migrations applied (up sections run to the end), tagged <c>stepwise.migration.kind</c>.</summary>
    public static Counter<long> MigrationsApplied { get; } = Meter.CreateCounter<long>(
        "stepwise.migrations.applied", "{migration}", "Migrations applied");

    /// <summary><c>stepwise.migration.duration</c>: how long each migration took, in seconds, tagged <c>stepwise.direction</c> (up, down) and <c>stepwise.outcome</c> (ok, failed).</summary>
    public static Histogram<double> MigrationDuration { get; } = Meter.CreateHistogram<double>(
        "stepwise.migration.duration", "s", "Time to run one migration's section");

    /// <summary><c>stepwise.lock_timeout.retries</c>: statements (or transactions) that waited lock_timeout (SQLSTATE 55P03) and are tried again.</summary>
    public static Counter<long> LockTimeoutRetries { get; } = Meter.CreateCounter<long>(
        "stepwise.lock_timeout.retries", "{retry}", "Statements that hit lock_timeout and are retried");

    /// <summary><c>stepwise.backfill.rows</c>: rows written by backfills, reported batch by batch.</summary>
    public static Counter<long> BackfillRows { get; } = Meter.CreateCounter<long>(
        "stepwise.backfill.rows", "{row}", "Rows written by backfills");

    /// <summary><c>stepwise.backfill.batches_cancelled</c>: backfill batches cancelled at their bound (see <c>BackfillOptions.TargetBatchDuration</c>) and retried.</summary>
    public static Counter<long> BackfillBatchesCancelled { get; } = Meter.CreateCounter<long>(
        "stepwise.backfill.batches_cancelled", "{batch}", "Backfill batches cancelled at their time bound and retried");

    internal const string TableTag = "stepwise.table";
    internal const string DirectionTag = "stepwise.direction";
    internal const string OutcomeTag = "stepwise.outcome";
    internal const string KindTag = "stepwise.migration.kind";
    internal const string FileTag = "stepwise.migration.file";
    internal const string VersionTag = "stepwise.migration.version";
    internal const string SchemaTag = "stepwise.state_schema";

    /// <summary>Starts the activity around one migration's section (null when nobody listens).</summary>
    internal static Activity? StartMigration(MigrationRun run)
    {
        var activity = ActivitySource.StartActivity("stepwise.migration");
        activity?.SetTag(FileTag, run.Migration.FileName);
        activity?.SetTag(VersionTag, run.Migration.Version);
        activity?.SetTag(DirectionTag, Direction(run));
        activity?.SetTag(KindTag, Kind(run));
        return activity;
    }

    /// <summary>Records one finished (or failed) migration: its duration, and when applied, the counter.</summary>
    internal static void RecordMigration(MigrationRun run, TimeSpan elapsed, bool succeeded)
    {
        var direction = Direction(run);
        MigrationDuration.Record(elapsed.TotalSeconds,
            new KeyValuePair<string, object?>(DirectionTag, direction), new KeyValuePair<string, object?>(OutcomeTag, succeeded ? "ok" : "failed"));
        if (succeeded && direction == "up")
        {
            MigrationsApplied.Add(1, new KeyValuePair<string, object?>(KindTag, Kind(run)));
        }
    }

    /// <summary>Marks an activity failed with the exception's message (never a connection string: messages are built without one).</summary>
    internal static void Fail(Activity? activity, Exception error) => activity?.SetStatus(ActivityStatusCode.Error, error.Message);

    private static string Direction(MigrationRun run) => run.Phase == Planning.PlanPhase.Start ? "up" : "down";

    private static string Kind(MigrationRun run) => run.Migration.Kind == Migrations.MigrationKind.Repeatable ? "repeatable" : "versioned";
}
