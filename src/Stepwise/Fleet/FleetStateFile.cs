using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stepwise.Execution;

namespace Stepwise.Fleet;

/// <summary>
/// The fleet state in a local JSON file, rewritten whole on every change through a temporary file that is flushed to disk
/// and renamed over it: a reader (or a runner killed mid-write) sees the previous version or the new one, never half of
/// one. A run holds <c>FILE.lock</c> while it runs (released by the operating system when the process ends, even by kill -9).
/// </summary>
public sealed class FleetStateFile(string path) : IFleetStateStore
{
    private const int FormatVersion = 1;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, FleetTargetState> _targets = new(StringComparer.Ordinal);
    private FleetRunState? _run;
    private FileStream? _lock;

    /// <summary>The file.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <inheritdoc/>
    public Task<FleetState> LoadAsync(bool exclusive, CancellationToken cancellationToken = default)
    {
        if (exclusive && _lock is null)
        {
            try
            {
                _lock = new FileStream(Path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                throw new MigrationLockBusyException($"another fleet run holds {Path}.lock: wait for it to end (its targets' own locks keep each database safe either way)");
            }
        }
        _targets.Clear();
        _run = null;
        if (File.Exists(Path))
        {
            Read(File.ReadAllText(Path));
        }
        return Task.FromResult(new FleetState(_run, new Dictionary<string, FleetTargetState>(_targets, StringComparer.Ordinal)));
    }

    /// <inheritdoc/>
    public async Task SaveTargetAsync(FleetTargetState target, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            _targets[target.Name] = target;
            Write();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async Task SaveRunAsync(FleetRunState run, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            _run = run;
            Write();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _lock?.Dispose();
        _lock = null;
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Read(string text)
    {
        try
        {
            var root = JsonNode.Parse(text)?.AsObject() ?? throw new FormatException("empty");
            if (root["version"]?.GetValue<int>() is not FormatVersion)
            {
                throw new FormatException($"format version {root["version"]?.ToJsonString() ?? "missing"}, this Stepwise reads {FormatVersion}");
            }
            if (root["run"] is JsonObject run)
            {
                _run = new FleetRunState(Text(run, "action"), Text(run, "goal"), run["canaryPassed"]?.GetValue<bool>() ?? false,
                    Time(run["startedAt"]) ?? throw new FormatException("a run without startedAt"), Time(run["finishedAt"]), run["stop"]?.GetValue<string>());
            }
            foreach (var node in root["targets"]?.AsArray() ?? new JsonArray())
            {
                var t = node?.AsObject() ?? throw new FormatException("a null target");
                var target = new FleetTargetState(Text(t, "name"), Text(t, "target"), t["version"]?.GetValue<long>() ?? 0, Text(t, "state"),
                    t["migration"]?.GetValue<string>(), t["goal"]?.GetValue<string>(), t["outcome"]?.GetValue<string>(), t["error"]?.GetValue<string>(),
                    t["attempt"]?.GetValue<int>() ?? 0, t["wave"]?.GetValue<int>(), Time(t["startedAt"]), Time(t["finishedAt"]), t["durationMs"]?.GetValue<long>(),
                    Time(t["updatedAt"]) ?? DateTimeOffset.MinValue);
                _targets[target.Name] = target;
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            throw new MigrationRefusedException($"the fleet state file {Path} cannot be read ({ex.Message}); it is only a cache of the targets' own history: move it away and run again");
        }
    }

    private void Write()
    {
        var root = new JsonObject
        {
            ["version"] = FormatVersion,
            ["run"] = _run is { } run ? new JsonObject
            {
                ["action"] = run.Action,
                ["goal"] = run.Goal,
                ["canaryPassed"] = run.CanaryPassed,
                ["startedAt"] = run.StartedAt,
                ["finishedAt"] = run.FinishedAt,
                ["stop"] = run.Stop,
            } : null,
            ["targets"] = new JsonArray([.. _targets.Values.Select(t => (JsonNode)new JsonObject
            {
                ["name"] = t.Name,
                ["target"] = t.Target,
                ["version"] = t.Version,
                ["state"] = t.State,
                ["migration"] = t.Migration,
                ["goal"] = t.Goal,
                ["outcome"] = t.Outcome,
                ["error"] = t.Error,
                ["attempt"] = t.Attempt,
                ["wave"] = t.Wave,
                ["startedAt"] = t.StartedAt,
                ["finishedAt"] = t.FinishedAt,
                ["durationMs"] = t.DurationMs,
                ["updatedAt"] = t.UpdatedAt,
            })]),
        };
        var temporary = $"{Path}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                root.WriteTo(writer);
            }
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, Path, overwrite: true);
    }

    private static string Text(JsonObject node, string name) => node[name]?.GetValue<string>() ?? throw new FormatException($"{name} is missing");

    private static DateTimeOffset? Time(JsonNode? node) => node is null ? null : DateTimeOffset.Parse(node.GetValue<string>(), CultureInfo.InvariantCulture);
}
