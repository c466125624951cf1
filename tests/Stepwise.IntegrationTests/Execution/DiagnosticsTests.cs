using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Npgsql;
using Stepwise.Execution;

namespace Stepwise.IntegrationTests.Execution;

/// <summary>
/// Metrics and traces come from the library, so the CLI and the hosting package report the same way.
/// Listeners are process-wide and other test classes apply migrations meanwhile: every measurement is
/// attributed to the migration activity current when it was recorded, and only this test's files count.
/// </summary>
public sealed class DiagnosticsTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>, IDisposable
{
    private readonly ConcurrentQueue<Activity> _activities = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, string? File, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly ActivityListener _activityListener = new()
    {
        ShouldListenTo = source => source.Name == StepwiseDiagnostics.Name,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };
    private readonly MeterListener _meterListener = new();

    private void Listen()
    {
        _activityListener.ActivityStopped = _activities.Enqueue;
        ActivitySource.AddActivityListener(_activityListener);
        _meterListener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == StepwiseDiagnostics.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meterListener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _meterListener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _meterListener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var file = Activity.Current?.OperationName == "stepwise.migration" ? Activity.Current.GetTagItem("stepwise.migration.file") as string : null;
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }
        _measurements.Enqueue((instrument.Name, value, file, copy));
    }

    [Fact]
    public async Task Apply_reports_each_migration_as_an_activity_with_its_duration_count_and_lock_retries()
    {
        Listen();
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        var (first, second) = ($"1_diag_{Guid.NewGuid():N}.sql", $"2_diag_{Guid.NewGuid():N}.sql");
        ws.Write(first, "-- stepwise:up\nCREATE TABLE busy (id int);\n").Write(second, "-- stepwise:up\nALTER TABLE busy ADD COLUMN note text;\n").WriteSum();
        await ws.Migrator().ApplyAsync(new ApplyRequest { ToVersion = 1 });

        await using var blocker = new NpgsqlConnection(ws.ConnectionString);
        await blocker.OpenAsync();
        await using var blockerTx = await blocker.BeginTransactionAsync();
        await using (var read = new NpgsqlCommand("SELECT count(*) FROM busy", blocker, blockerTx))
        {
            await read.ExecuteScalarAsync();
        }
        var apply = ws.Migrator().ApplyAsync(new ApplyRequest());
        await Task.Delay(700);
        await blockerTx.RollbackAsync();
        await apply;

        var migrations = _activities.Where(a => a.OperationName == "stepwise.migration" && (string?)a.GetTagItem("stepwise.migration.file") is { } f && (f == first || f == second)).ToList();
        Assert.Equal([first, second], migrations.Select(a => (string)a.GetTagItem("stepwise.migration.file")!));
        Assert.All(migrations, a => Assert.Equal("stepwise.apply", a.Parent?.OperationName));
        Assert.All(migrations, a => Assert.Equal("up", a.GetTagItem("stepwise.direction")));
        var mine = _measurements.Where(m => m.File == first || m.File == second).ToList();
        Assert.Equal([first, second], mine.Where(m => m.Instrument == "stepwise.migrations.applied").Select(m => m.File));
        var durations = mine.Where(m => m.Instrument == "stepwise.migration.duration").ToList();
        Assert.Equal(2, durations.Count);
        Assert.All(durations, d => Assert.Equal("ok", d.Tags["stepwise.outcome"]));
        Assert.True(durations.Single(d => d.File == second).Value >= 0.5, "the second migration waited for the blocker");
        Assert.Contains(mine, m => m.Instrument == "stepwise.lock_timeout.retries" && m.File == second);
        Assert.DoesNotContain(mine, m => m.Instrument == "stepwise.lock_timeout.retries" && m.File == first);
    }

    [Fact]
    public async Task A_failed_migration_marks_its_activity_failed_and_records_a_failed_duration()
    {
        Listen();
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        var file = $"1_broken_{Guid.NewGuid():N}.sql";
        ws.Write(file, "-- stepwise:up\nALTER TABLE no_such_table ADD COLUMN x int;\n").WriteSum();

        await Assert.ThrowsAsync<MigrationFailedException>(() => ws.Migrator().ApplyAsync(new ApplyRequest()));

        var activity = Assert.Single(_activities, a => (string?)a.GetTagItem("stepwise.migration.file") == file);
        Assert.Equal(ActivityStatusCode.Error, activity.Status);
        Assert.Contains("no_such_table", activity.StatusDescription, StringComparison.Ordinal);
        var mine = _measurements.Where(m => m.File == file).ToList();
        Assert.Equal("failed", Assert.Single(mine, m => m.Instrument == "stepwise.migration.duration").Tags["stepwise.outcome"]);
        Assert.DoesNotContain(mine, m => m.Instrument == "stepwise.migrations.applied");
    }

    public void Dispose()
    {
        _meterListener.Dispose();
        _activityListener.Dispose();
    }
}
