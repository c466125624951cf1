using System.Globalization;
using System.Text.Json.Nodes;

namespace Stepwise.Execution.Locking;

/// <summary>
/// A statement waiting for a quiet moment to take its locks, as reported every few seconds while it waits: in the log,
/// to <see cref="MigratorOptions.LockWaitChanged"/>, and in the state schema, where <c>stepwise status</c> and the
/// hosting health check read it (<see cref="StatusReport.LockWait"/>) until the wait ends.
/// </summary>
/// <param name="Where">The statement: <c>20240101_add.yaml: add column public.t.c</c>.</param>
/// <param name="Line">The progress line: who is in the way, for how long.</param>
/// <param name="Since">When the wait began.</param>
/// <param name="Holders">The sessions holding conflicting locks at the last look, oldest transaction first.</param>
public sealed record LockWait(string Where, string Line, DateTimeOffset Since, IReadOnlyList<string> Holders)
{
    /// <summary>When this line was reported.</summary>
    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The tables it waits to lock (<c>public.workflow_runs</c>).</summary>
    public IReadOnlyList<string> Tables { get; init; } = [];

    /// <summary>How long the oldest holder's transaction had been open at the last look; null when no holder was seen.</summary>
    public TimeSpan? OldestTransaction { get; init; }

    /// <summary>The backend pid of the migration's session that waits.</summary>
    public int Pid { get; init; }

    internal LockWait(string where, string line, DateTimeOffset since, IReadOnlyList<LockHolder> holders, IReadOnlyList<string> tables, int pid)
        : this(where, line, since, [.. holders.Select(h => h.ToString())])
    {
        Tables = tables;
        OldestTransaction = holders.Count == 0 ? null : holders.Max(h => h.TransactionAge);
        Pid = pid;
    }

    /// <summary>As stored in the state schema (<c>state.lock_wait</c>).</summary>
    internal string ToJson() => new JsonObject
    {
        ["pid"] = Pid,
        ["where"] = Where,
        ["line"] = Line,
        ["since"] = Since.ToString("O", CultureInfo.InvariantCulture),
        ["at"] = At.ToString("O", CultureInfo.InvariantCulture),
        ["tables"] = new JsonArray([.. Tables.Select(t => (JsonNode?)JsonValue.Create(t))]),
        ["oldestMs"] = OldestTransaction is { } oldest ? (long)oldest.TotalMilliseconds : null,
        ["holders"] = new JsonArray([.. Holders.Select(h => (JsonNode?)JsonValue.Create(h))]),
    }.ToJsonString();

    /// <summary>Reads what <see cref="ToJson"/> stored.</summary>
    internal static LockWait FromJson(string json)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        static DateTimeOffset Time(JsonNode? node) => DateTimeOffset.Parse(node!.GetValue<string>(), CultureInfo.InvariantCulture);
        static string[] Texts(JsonNode? node) => node is JsonArray a ? [.. a.Select(n => n!.GetValue<string>())] : [];
        return new LockWait(o["where"]!.GetValue<string>(), o["line"]!.GetValue<string>(), Time(o["since"]), Texts(o["holders"]))
        {
            At = Time(o["at"]),
            Tables = Texts(o["tables"]),
            OldestTransaction = o["oldestMs"] is { } ms ? TimeSpan.FromMilliseconds(ms.GetValue<long>()) : null,
            Pid = o["pid"]!.GetValue<int>(),
        };
    }
}
