using System.Text.Json.Serialization;
using Stepwise.Sql;

namespace Stepwise.Planning;

/// <summary>The phases of an operation migration.</summary>
public enum PlanPhase
{
    /// <summary>Expand: additive changes old code keeps working with, backfills, validation.</summary>
    Start,

    /// <summary>Contract: once every application instance runs the new code.</summary>
    Complete,

    /// <summary>Abort a started migration: the schema exactly as before start.</summary>
    Rollback,
}

/// <summary>What a step does.</summary>
public enum StepKind
{
    /// <summary>One SQL statement.</summary>
    Sql,

    /// <summary>A batched, checkpointed UPDATE of existing rows.</summary>
    Backfill,

    /// <summary>A query that must return no rows (a parity check, or "no row still needs a value").</summary>
    Check,

    /// <summary>A SQL migration's post-condition: a query that must return no rows, or one row holding <c>true</c>. Records no progress.</summary>
    Assert,

    /// <summary>Several steps (<see cref="Step.Group"/>) run as one transaction, with the migration's history record in it: a SQL migration's section.</summary>
    Transaction,
}

/// <summary>
/// One step of a plan, as data: what it runs, whether it runs in a transaction, the lock it takes and on
/// what. Operations plan; the executor acts. A plan is stored with the migration's history when it starts,
/// so a resumed run executes the very steps the first run planned.
/// </summary>
public sealed record Step
{
    /// <summary>What the step does, for people: <c>add column public.workflow_runs.organization_id (nullable until complete)</c>.</summary>
    public required string Description { get; init; }

    /// <summary>Sql, backfill or check.</summary>
    public StepKind Kind { get; init; } = StepKind.Sql;

    /// <summary>The statement (for <see cref="StepKind.Sql"/>) or the query that must return no rows (for <see cref="StepKind.Check"/>).</summary>
    public string? Sql { get; init; }

    /// <summary>False for a statement PostgreSQL refuses to run in a transaction (CONCURRENTLY).</summary>
    public bool InTransaction { get; init; } = true;

    /// <summary>The strongest table lock the step takes.</summary>
    public LockLevel Lock { get; init; }

    /// <summary>The relation it is taken on (<c>schema.name</c>).</summary>
    public string? LockTarget { get; init; }

    /// <summary>For a backfill: what to update, batch by batch.</summary>
    public BackfillSpec? Backfill { get; init; }

    /// <summary>For a step outside a transaction: how a resumed run tells it already happened (null: running it again is harmless).
    /// Plans stored before this existed have none; the executor then derives it from <see cref="Sql"/>.</summary>
    public DoneCheck? Done { get; init; }

    /// <summary>The operation this step comes from (its index in the file) for messages.</summary>
    public int Operation { get; init; }

    /// <summary>For a <see cref="StepKind.Transaction"/> step: the steps it runs, in order, in its one transaction.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<Step>? Group { get; init; }

    /// <summary>
    /// The parsed statement a SQL migration's step runs (its position in the file, its parse tree). Not stored: a SQL
    /// migration's plan is compiled from its file on every run.
    /// </summary>
    [JsonIgnore]
    public SqlStatement? Statement { get; init; }
}

/// <summary>
/// A batched UPDATE: <c>UPDATE table SET column = expression, ... WHERE condition</c> over batches of the
/// primary key (keyset), or of ctid ranges when the table has none.
/// </summary>
/// <param name="Schema">The table's schema.</param>
/// <param name="Table">The table.</param>
/// <param name="Set">Column → SQL expression over the row's columns.</param>
/// <param name="Where">Which rows need the update (e.g. <c>"organization_id" IS NULL</c>); null for every row.</param>
/// <param name="Key">The primary key columns with their types, in key order; empty for ctid ranges.</param>
/// <param name="FilledByTrigger">
/// A trigger fills every row written while the backfill runs (inserts and updates), so the backfill only owes the rows
/// that existed when it started, and may walk the heap in physical order even when the table has a key (a row an
/// update moves behind the walk has been filled by the trigger). A row the backfill itself moves to a page it has not
/// reached yet is seen again there: <paramref name="Where"/> must leave out rows already done (as <c>c IS NULL</c>
/// does), or the update must give the same result twice.
/// </param>
public sealed record BackfillSpec(string Schema, string Table, IReadOnlyList<BackfillSet> Set, string? Where, IReadOnlyList<KeyColumn> Key, bool FilledByTrigger = false)
{
    /// <summary>
    /// The setting a backfill batch's transaction carries (transaction-local): the table it fills, <c>schema.table</c>
    /// unquoted. A trigger that would only compute again what the batch's update sets reads it to stay out of the way.
    /// </summary>
    public const string FillingSetting = "stepwise.backfilling";
}

/// <summary>One assignment of a backfill.</summary>
public sealed record BackfillSet(string Column, string Expression);

/// <summary>A key column and its type (as <c>format_type</c> prints it).</summary>
public sealed record KeyColumn(string Name, string Type);

/// <summary>The three step lists of an operation migration.</summary>
public sealed record Plan(IReadOnlyList<Step> Start, IReadOnlyList<Step> Complete, IReadOnlyList<Step> Rollback)
{
    /// <summary>
    /// Clean-up deferred past complete (a fill trigger kept for slow rollouts): run, idempotently, by the complete
    /// of a later operation migration, then forgotten.
    /// </summary>
    public IReadOnlyList<Step> Kept { get; init; } = [];

    /// <summary>The steps of <paramref name="phase"/>.</summary>
    public IReadOnlyList<Step> Steps(PlanPhase phase) => phase switch
    {
        PlanPhase.Start => Start,
        PlanPhase.Complete => Complete,
        _ => Rollback,
    };
}
