namespace Stepwise.Execution;

/// <summary>
/// Where a migration's history row stands. The text each value is stored as, and the moves history may make
/// between them, are written down here and nowhere else (<see cref="HistoryStatuses"/>).
/// </summary>
public enum HistoryStatus
{
    /// <summary><c>applied</c>: the migration ran (or an operation migration completed).</summary>
    Applied,

    /// <summary><c>failed</c>: the last attempt failed and nothing of it is applied.</summary>
    Failed,

    /// <summary><c>partial</c>: applied statement by statement and interrupted; apply resumes it.</summary>
    Partial,

    /// <summary><c>reverting</c>: rolled back statement by statement and interrupted; rollback resumes it.</summary>
    Reverting,

    /// <summary><c>starting</c>: an operation migration's start phase is under way (or was interrupted).</summary>
    Starting,

    /// <summary><c>started</c>: the start phase is done; waiting for complete (or rollback).</summary>
    Started,

    /// <summary><c>completing</c>: the complete phase is under way (or was interrupted).</summary>
    Completing,

    /// <summary><c>rolling back</c>: an operation migration's rollback is under way (or was interrupted).</summary>
    RollingBack,
}

/// <summary>The text of each <see cref="HistoryStatus"/> and the allowed moves between them.</summary>
public static class HistoryStatuses
{
    private static readonly (HistoryStatus Status, string Text)[] s_texts =
    [
        (HistoryStatus.Applied, "applied"),
        (HistoryStatus.Failed, "failed"),
        (HistoryStatus.Partial, "partial"),
        (HistoryStatus.Reverting, "reverting"),
        (HistoryStatus.Starting, "starting"),
        (HistoryStatus.Started, "started"),
        (HistoryStatus.Completing, "completing"),
        (HistoryStatus.RollingBack, "rolling back"),
    ];

    /// <summary>
    /// Every move history may make, from a status (null: no row yet) to a status (null: the row is removed).
    /// Besides these, a status may always stay what it is (progress within it, a checksum re-recorded by repair).
    /// </summary>
    internal static readonly IReadOnlyList<(HistoryStatus? From, HistoryStatus? To, string Why)> Transitions =
    [
        (null, HistoryStatus.Applied, "apply in one transaction; baseline"),
        (null, HistoryStatus.Failed, "apply failed (rolled back, or before the first statement ran)"),
        (null, HistoryStatus.Partial, "apply statement by statement begins"),
        (null, HistoryStatus.Starting, "an operation migration's start begins"),
        (HistoryStatus.Failed, HistoryStatus.Applied, "apply again in one transaction"),
        (HistoryStatus.Failed, HistoryStatus.Partial, "apply again statement by statement"),
        (HistoryStatus.Failed, HistoryStatus.Starting, "start an operation migration again"),
        (HistoryStatus.Failed, null, "repair clears the failed attempt"),
        (HistoryStatus.Partial, HistoryStatus.Applied, "the last statement ran"),
        (HistoryStatus.Partial, HistoryStatus.Failed, "a resumed run failed before any statement ran"),
        (HistoryStatus.Partial, null, "repair forgets a row whose file is gone"),
        (HistoryStatus.Applied, HistoryStatus.Reverting, "rollback statement by statement begins"),
        (HistoryStatus.Applied, null, "rollback in one transaction; repair forgets a row whose file is gone"),
        (HistoryStatus.Reverting, null, "the rollback's last statement ran"),
        (HistoryStatus.Starting, HistoryStatus.Started, "the start phase ran"),
        (HistoryStatus.Starting, HistoryStatus.RollingBack, "rollback of an interrupted start begins"),
        (HistoryStatus.Starting, null, "repair forgets a row whose file is gone"),
        (HistoryStatus.Started, HistoryStatus.Completing, "complete begins"),
        (HistoryStatus.Started, HistoryStatus.RollingBack, "rollback begins"),
        (HistoryStatus.Started, null, "repair forgets a row whose file is gone"),
        (HistoryStatus.Completing, HistoryStatus.Applied, "the complete phase ran"),
        (HistoryStatus.Completing, null, "repair forgets a row whose file is gone"),
        (HistoryStatus.RollingBack, null, "the rollback phase ran: the row goes"),
    ];

    /// <summary>Every status, in declaration order.</summary>
    public static IReadOnlyList<HistoryStatus> All { get; } = [.. s_texts.Select(t => t.Status)];

    /// <summary>The text stored in the state schema (and shown to people), e.g. <c>rolling back</c>.</summary>
    public static string Text(this HistoryStatus status) => s_texts.First(t => t.Status == status).Text;

    /// <summary>The status stored as <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">The text is no status this version of Stepwise knows.</exception>
    public static HistoryStatus Parse(string text) => s_texts.FirstOrDefault(t => t.Text == text) is { Text: not null } found
        ? found.Status
        : throw new FormatException($"unknown history status '{text}' in the state schema; is it from a newer Stepwise?");

    /// <summary>True when history may move from <paramref name="from"/> to <paramref name="to"/> (null: no row).</summary>
    public static bool Allows(HistoryStatus? from, HistoryStatus? to) =>
        from == to || Transitions.Any(t => t.From == from && t.To == to);

    /// <summary>True while an operation migration is between its start and the end of its complete (or rollback).</summary>
    public static bool IsOperationPhase(this HistoryStatus status) =>
        status is HistoryStatus.Starting or HistoryStatus.Started or HistoryStatus.Completing or HistoryStatus.RollingBack;

    /// <summary>The command that resumes an interrupted status: <c>apply</c>, <c>complete</c> or <c>rollback</c>.</summary>
    public static string ResumeCommand(this HistoryStatus status) => status switch
    {
        HistoryStatus.Starting or HistoryStatus.Partial or HistoryStatus.Failed => "apply",
        HistoryStatus.Started or HistoryStatus.Completing => "complete",
        _ => "rollback",
    };
}
