namespace Stepwise.Execution;

/// <summary>What the database's history says about one migration.</summary>
public sealed record HistoryRow
{
    /// <summary>The version; 0 for repeatable migrations.</summary>
    public long Version { get; init; }

    /// <summary>The file name the migration was applied from.</summary>
    public required string File { get; init; }

    /// <summary><c>versioned</c> or <c>repeatable</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>The file's checksum when it was applied.</summary>
    public required string Checksum { get; init; }

    /// <summary>Where the row stands (see <see cref="HistoryStatuses"/> for its text and allowed moves).</summary>
    public required HistoryStatus Status { get; init; }

    /// <summary>How many statements of the section ran (the resume point).</summary>
    public int StatementsCompleted { get; init; }

    /// <summary>How many statements the section has.</summary>
    public int StatementsTotal { get; init; }

    /// <summary>When it was applied (or last attempted).</summary>
    public DateTimeOffset AppliedAt { get; init; }

    /// <summary>The database role that applied it.</summary>
    public string AppliedBy { get; init; } = "";

    /// <summary>The <c>application_name</c> of the session that applied it.</summary>
    public string ApplicationName { get; init; } = "";

    /// <summary>How long it took.</summary>
    public long? DurationMs { get; init; }

    /// <summary>The error of the last failed attempt.</summary>
    public string? Error { get; init; }

    /// <summary>True for repeatable migrations.</summary>
    public bool IsRepeatable => Kind == HistoryStore.Repeatable;
}
