using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using Stepwise.Cli;
using Stepwise.Fleet;
using Stepwise.IntegrationTests.Cli;

namespace Stepwise.IntegrationTests.Fleet;

/// <summary>
/// Fleet runs on one server with 50 databases per test (copied from a template database): the canary, the error budget, a runner
/// killed with SIGKILL mid-wave and run again, complete refused while a start failed, both kinds of fleet state, the live progress.
/// </summary>
public sealed partial class FleetTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const int Size = 50;

    private const string Notes = "-- stepwise:up\nCREATE TABLE notes (id int);\n-- stepwise:down\nDROP TABLE notes;\n";

    [Fact]
    public async Task A_failing_canary_stops_the_fleet_before_any_wave()
    {
        await using var fleet = await FleetWorkspace.CreateAsync(fixture, "canary", Size, "CREATE TABLE accounts (id int PRIMARY KEY)");
        fleet.Write("1_notes.sql", Notes).WriteSum();
        await fleet.ExecuteAsync(1, "CREATE TABLE notes (id int)"); // the canary's database already has the table

        var run = await fleet.RunCliAsync("fleet", "apply", "--targets", fleet.TargetsFile, "--state", fleet.StateFile, "--format", "json");

        Assert.True(run.Code == 3, run.Error);
        using var json = JsonDocument.Parse(run.Out);
        var root = json.RootElement;
        Assert.Equal("canary-failed", root.GetProperty("stopped").GetProperty("reason").GetString());
        Assert.Equal(["canary_01"], root.GetProperty("stopped").GetProperty("failed").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["canary"], root.GetProperty("waves").EnumerateArray().Select(w => w.GetProperty("kind").GetString()));
        var targets = root.GetProperty("targets").EnumerateArray().ToList();
        Assert.Equal("failed", targets[0].GetProperty("outcome").GetString());
        Assert.Contains("1_notes.sql:2:", targets[0].GetProperty("error").GetString());
        Assert.Contains("already exists", targets[0].GetProperty("error").GetString());
        Assert.All(targets.Skip(1), t => Assert.Equal("not run", t.GetProperty("outcome").GetString()));
        var history = await fleet.HistoryAsync();
        Assert.Equal("1:failed", history[0]);
        Assert.All(history.Skip(1), h => Assert.Equal("", h)); // no other database was touched
        var state = ReadState(fleet.StateFile);
        Assert.Equal("failed", state["canary_01"].Outcome);
        Assert.All(Enumerable.Range(2, Size - 1), i => Assert.Equal("not run", state[fleet.Name(i)].Outcome));
    }

    [Fact]
    public async Task A_failing_target_mid_wave_stops_at_the_error_budget_names_it_and_a_rerun_continues_without_the_canary()
    {
        await using var fleet = await FleetWorkspace.CreateAsync(fixture, "budget", Size, "CREATE TABLE accounts (id int PRIMARY KEY)");
        fleet.Write("1_notes.sql", Notes).WriteSum();
        await fleet.ExecuteAsync(10, "CREATE TABLE notes (id int)"); // in wave 2: canary 1, wave 1 = 2-5, wave 2 = 6-13, wave 3 = 14-29
        // The catalog database lists the tenants and keeps the fleet state.
        var catalog = await fixture.CreateDatabaseAsync("budget_catalog");
        await using (var connection = await FleetWorkspace.OpenAsync(catalog))
        {
            await using var create = new NpgsqlCommand("CREATE TABLE tenants (name text, dsn text)", connection);
            await create.ExecuteNonQueryAsync();
            foreach (var (name, dsn) in fleet.Databases)
            {
                await using var insert = new NpgsqlCommand("INSERT INTO tenants VALUES ($1, $2)", connection) { Parameters = { new() { Value = name }, new() { Value = dsn } } };
                await insert.ExecuteNonQueryAsync();
            }
        }
        var targets = await FleetTargets.QueryAsync(catalog, "SELECT name, dsn FROM tenants ORDER BY name");
        FleetOptions Options(IFleetStateStore state) => new() { Directory = fleet.Directory, Canary = 1, Parallelism = 4, MaxFailures = 1, State = state };

        FleetResult result;
        await using (var state = new FleetStateCatalog(catalog, "budget"))
        {
            result = await new FleetRunner(targets, Options(state)).RunAsync(FleetAction.Apply);
        }

        Assert.Equal(FleetStopReason.ErrorBudget, result.Stop?.Reason);
        Assert.Equal(["budget_10"], result.Stop!.Failed);
        Assert.Contains("budget_10", result.Stop.Message);
        Assert.Equal([0, 1, 2], result.Waves.Select(w => w.Index)); // wave 3 never began
        Assert.Equal(Enumerable.Range(6, 8).Select(fleet.Name), result.Waves[2].Targets);
        var history = await fleet.HistoryAsync();
        Assert.All(history.Take(5), h => Assert.Equal("1:applied", h));
        Assert.Equal("1:failed", history[9]);
        Assert.All(history.Skip(13), h => Assert.Equal("", h));
        Assert.All(result.Targets.Skip(13), t => Assert.Equal(FleetOutcome.NotRun, t.Outcome));
        await using (var connection = await FleetWorkspace.OpenAsync(catalog))
        {
            await using var read = new NpgsqlCommand("SELECT outcome || '/' || attempt || '/' || (error LIKE '%already exists%') FROM stepwise_fleet.targets WHERE fleet = 'budget' AND name = 'budget_10'", connection);
            Assert.Equal("failed/1/true", await read.ExecuteScalarAsync());
            // Waves 3 and 4 (14-50), and the targets of wave 2 not started once the budget was spent.
            await using var notRun = new NpgsqlCommand("SELECT count(*) FROM stepwise_fleet.targets WHERE fleet = 'budget' AND outcome = 'not run' AND version = 0", connection);
            Assert.InRange((long)(await notRun.ExecuteScalarAsync())!, 37L, 40L);
        }

        // The cause fixed, the same run again: no canary (it passed), the rest of the fleet in waves, the failed target tried a second time.
        await fleet.ExecuteAsync(10, "DROP TABLE notes");
        await using (var state = new FleetStateCatalog(catalog, "budget"))
        {
            result = await new FleetRunner(targets, Options(state)).RunAsync(FleetAction.Apply);
        }

        Assert.True(result.Succeeded, result.Stop?.Message);
        Assert.DoesNotContain(result.Waves, w => w.Index == 0);
        Assert.All(await fleet.HistoryAsync(), h => Assert.Equal("1:applied", h));
        Assert.Equal(2, result.Targets[9].Attempt);
        Assert.All(result.Targets.Take(5), t => Assert.Equal(FleetOutcome.Unchanged, t.Outcome));
        await using (var connection = await FleetWorkspace.OpenAsync(catalog))
        {
            await using var read = new NpgsqlCommand("SELECT string_agg(DISTINCT outcome || ':' || version, ',' ORDER BY outcome || ':' || version) FROM stepwise_fleet.targets WHERE fleet = 'budget'", connection);
            Assert.Equal("succeeded:1,unchanged:1", await read.ExecuteScalarAsync());
        }
    }

    [Fact]
    public async Task A_fleet_runner_killed_mid_wave_and_run_again_leaves_every_database_at_the_same_version_with_each_migration_applied_once()
    {
        await using var fleet = await FleetWorkspace.CreateAsync(fixture, "kill", Size, "CREATE TABLE log (migration int NOT NULL)");
        fleet.Write("1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);\nINSERT INTO log VALUES (1);\n")
            .Write("2_b.sql", "-- stepwise:up\nINSERT INTO log VALUES (2);\nSELECT pg_sleep(0.15);\n")
            .WriteSum();

        var runner = StartCli(fleet, "fleet", "apply", "--targets", fleet.TargetsFile, "--state", fleet.StateFile, "--parallelism", "2");
        var watch = Stopwatch.StartNew();
        while (!File.Exists(fleet.StateFile) || ReadState(fleet.StateFile).Values.Count(t => t.Outcome == "succeeded") < 6)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60) && !runner.HasExited, "the fleet runner did not get into its waves");
            await Task.Delay(20);
        }
        runner.Kill(); // SIGKILL
        await runner.WaitForExitAsync();
        var atKill = ReadState(fleet.StateFile); // written by rename: whole, whatever the moment of the kill
        var rerun = await fleet.RunCliAsync("fleet", "apply", "--targets", fleet.TargetsFile, "--state", fleet.StateFile, "--parallelism", "4");

        Assert.InRange(atKill.Values.Count(t => t.Outcome == "succeeded"), 6, Size - 1);
        Assert.True(rerun.Code == 0, rerun.Error + rerun.Out);
        Assert.All(await fleet.HistoryAsync(), h => Assert.Equal("1:applied,2:applied", h));
        Assert.All(await fleet.EachAsync<string>("SELECT string_agg(migration::text, ',' ORDER BY migration) FROM log"), l => Assert.Equal("1,2", l));
        Assert.All(await fleet.EachAsync<long>("SELECT count(*) FROM stepwise.events WHERE action = 'applied'"), n => Assert.Equal(2L, n));
        var after = ReadState(fleet.StateFile);
        Assert.All(after.Values, t => Assert.True(t.Version == 2 && t.Outcome is "succeeded" or "unchanged", $"{t.Name}: {t.Outcome} at {t.Version}"));
    }

    [Fact]
    public async Task Complete_is_refused_while_a_start_failed_and_with_allow_partial_completes_only_where_started()
    {
        await using var fleet = await FleetWorkspace.CreateAsync(fixture, "expand", Size,
            "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g;");
        fleet.Write("1_upper.yaml", "operations:\n  - add_column: { table: items, column: { name: upper_name, type: text, nullable: false }, up: upper(name) }\n").WriteSum();
        await fleet.ExecuteAsync(7, "ALTER TABLE items ADD COLUMN upper_name text"); // its start cannot be planned there
        // Every database of the server whose name matches, as targets.
        string[] targets = ["--databases", "expand_%", "--database", fixture.ConnectionString, "--state", fleet.StateFile, "--canary", "2"];

        var apply = await fleet.RunCliAsync(["fleet", "apply", .. targets, "--max-failures", "5"]);
        var complete = await fleet.RunCliAsync(["fleet", "complete", .. targets]);
        var historyAfterRefusal = await fleet.HistoryAsync();
        var status = await fleet.RunCliAsync(["fleet", "status", .. targets, "--format", "json"]);
        var partial = await fleet.RunCliAsync(["fleet", "complete", .. targets, "--allow-partial", "--format", "json"]);

        Assert.True(apply.Code == 3, apply.Error); // one target failed, within the budget: the others started
        Assert.Contains("expand_07", apply.Error);
        Assert.True(complete.Code == 2, complete.Error);
        Assert.Contains("expand_07", complete.Error);
        Assert.Contains("did not start 1_upper.yaml; nothing was completed", complete.Error);
        Assert.All(historyAfterRefusal.Where((_, i) => i != 6), h => Assert.Equal("1:started", h));
        Assert.Equal(1, status.Code);
        using (var json = JsonDocument.Parse(status.Out))
        {
            var states = json.RootElement.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("status").GetProperty("state").GetString()).ToList();
            Assert.Equal("pending", states[6]);
            Assert.Equal(Size - 1, states.Count(s => s == "started"));
        }
        Assert.True(partial.Code == 0, partial.Error);
        using (var json = JsonDocument.Parse(partial.Out))
        {
            var counts = json.RootElement.GetProperty("counts");
            Assert.Equal(Size - 1, counts.GetProperty("succeeded").GetInt32());
            Assert.Equal(1, counts.GetProperty("skipped").GetInt32());
        }
        var history = await fleet.HistoryAsync();
        Assert.Equal("", history[6]);
        Assert.All(history.Where((_, i) => i != 6), h => Assert.Equal("1:applied", h));
        Assert.All((await fleet.EachAsync<long>("SELECT count(*) FROM items WHERE upper_name IS DISTINCT FROM upper(name)")).Where((_, i) => i != 6), n => Assert.Equal(0L, n));
    }

    [Fact]
    public async Task Fleet_rollback_aborts_the_started_operation_migration_where_it_is_started_and_leaves_the_others_alone()
    {
        await using var fleet = await FleetWorkspace.CreateAsync(fixture, "abort", 6,
            "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g;");
        fleet.Write("1_upper.yaml", "operations:\n  - add_column: { table: items, column: { name: upper_name, type: text, nullable: false }, up: upper(name) }\n").WriteSum();
        await fleet.ExecuteAsync(4, "ALTER TABLE items ADD COLUMN upper_name text"); // its start cannot be planned there
        string[] targets = ["--targets", fleet.TargetsFile, "--state", fleet.StateFile];

        var apply = await fleet.RunCliAsync(["fleet", "apply", .. targets, "--max-failures", "2"]);
        var rollback = await fleet.RunCliAsync(["fleet", "rollback", .. targets, "--format", "json"]);

        Assert.Equal(3, apply.Code);
        Assert.True(rollback.Code == 0, rollback.Error);
        using var json = JsonDocument.Parse(rollback.Out);
        Assert.Equal(["succeeded", "succeeded", "succeeded", "unchanged", "succeeded", "succeeded"],
            json.RootElement.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("outcome").GetString()));
        Assert.All(await fleet.HistoryAsync(), h => Assert.Equal("", h));
        var columns = await fleet.EachAsync<long>("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'upper_name'");
        Assert.Equal([0L, 0L, 0L, 1L, 0L, 0L], columns); // gone where it was started; the one added by hand stays
    }

    [Fact]
    public async Task Fleet_apply_on_a_terminal_draws_one_finished_bar_per_wave_and_the_summary_table()
    {
        await using var fleet = await FleetWorkspace.CreateAsync(fixture, "screen", 12, "CREATE TABLE accounts (id int PRIMARY KEY)");
        fleet.Write("1_notes.sql", Notes).WriteSum();

        var screen = await Terminal.RunAsync(["fleet", "apply", "--targets", fleet.TargetsFile, "--state", fleet.StateFile, "--dir", fleet.Directory], null, fleet.Root);

        Assert.Contains("EXIT=0", screen);
        var lines = screen.Split('\n');
        // The canary, then waves of 4 and 7 (the rest), each a finished bar alone on its line.
        foreach (var (wave, size) in new[] { ("canary", 1), ("wave 1", 4), ("wave 2", 7) })
        {
            Assert.True(lines.Count(l => FinishedWave().Match(l) is { Success: true } m && m.Groups[1].Value == wave && m.Groups[2].Value == $"{size}/{size}") == 1,
                $"one finished bar for {wave} expected:\n" + screen);
        }
        Assert.Equal(12, lines.Count(l => l.StartsWith("│ screen_", StringComparison.Ordinal) && l.Contains("succeeded", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("fleet apply (apply to 1): 12 succeeded in ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_fleet_run_traces_each_target_with_its_own_apply_inside_and_counts_outcomes()
    {
        await using var fleet = await FleetWorkspace.CreateAsync(fixture, "traced", 3, "CREATE TABLE accounts (id int PRIMARY KEY)");
        fleet.Write("1_notes.sql", Notes).WriteSum();
        await fleet.ExecuteAsync(3, "CREATE TABLE notes (id int)");
        var activities = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        var counted = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == Stepwise.Execution.StepwiseDiagnostics.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        using var meter = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "stepwise.fleet.targets")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        meter.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            // Other test classes run fleets meanwhile: only the ones inside this test's fleet activity count.
            if (Activity.Current?.GetTagItem("stepwise.fleet.target") is string name && name.StartsWith("traced_", StringComparison.Ordinal))
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "stepwise.outcome")
                    {
                        counted.Enqueue($"{name}:{tag.Value}");
                    }
                }
            }
        });
        meter.Start();

        var result = await new FleetRunner(fleet.Targets, new FleetOptions { Directory = fleet.Directory, MaxFailures = 2 }).RunAsync(FleetAction.Apply);

        Assert.Equal(FleetOutcome.Failed, result.Targets[2].Outcome);
        var targets = activities.Where(a => a.OperationName == "stepwise.fleet.target" && ((string?)a.GetTagItem("stepwise.fleet.target"))?.StartsWith("traced_", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(["traced_01:0:succeeded", "traced_02:1:succeeded", "traced_03:1:failed"],
            targets.Select(a => $"{a.GetTagItem("stepwise.fleet.target")}:{a.GetTagItem("stepwise.fleet.wave")}:{a.GetTagItem("stepwise.outcome")}").Order());
        Assert.Equal(ActivityStatusCode.Error, targets.Single(a => (string?)a.GetTagItem("stepwise.fleet.target") == "traced_03").Status);
        Assert.All(targets, t => Assert.Contains(activities, a => a.OperationName == "stepwise.apply" && a.ParentSpanId == t.SpanId));
        Assert.All(targets, t => Assert.Equal("stepwise.fleet.wave", t.Parent?.OperationName));
        Assert.Equal(["traced_01:succeeded", "traced_02:succeeded", "traced_03:failed"], counted.Order());
    }

    [GeneratedRegex(@"^(canary|wave \d+): (\d+/\d+) done\s+━+\s+100%\s+\d\d:\d\d:\d\d$")]
    private static partial Regex FinishedWave();

    private sealed record StateRow(string Name, string? Outcome, long Version);

    private static Dictionary<string, StateRow> ReadState(string path)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        return json.RootElement.GetProperty("targets").EnumerateArray()
            .Select(t => new StateRow(t.GetProperty("name").GetString()!, t.TryGetProperty("outcome", out var o) ? o.GetString() : null, t.GetProperty("version").GetInt64()))
            .ToDictionary(t => t.Name);
    }

    /// <summary>The CLI as a child process of its own, so that it can be killed with SIGKILL.</summary>
    private static Process StartCli(FleetWorkspace fleet, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = fleet.Root };
        info.ArgumentList.Add(typeof(StepwiseCli).Assembly.Location);
        foreach (var arg in args.Concat(["--dir", fleet.Directory, "--no-color"]))
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["NO_COLOR"] = "1";
        var process = Process.Start(info)!;
        _ = process.StandardOutput.ReadToEndAsync(); // drained, so a full pipe never blocks it
        _ = process.StandardError.ReadToEndAsync();
        return process;
    }
}
