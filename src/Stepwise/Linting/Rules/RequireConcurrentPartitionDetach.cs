using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the partitioned table (PostgreSQL 14+ has a way around it).</summary>
public sealed class RequireConcurrentPartitionDetach : LintRule
{
    /// <inheritdoc />
    public override string Id => "require-concurrent-partition-detach";

    /// <inheritdoc />
    public override string Title => "Detach partitions concurrently";

    /// <inheritdoc />
    public override LockLevel? Lock => LockLevel.AccessExclusive;

    /// <inheritdoc />
    public override string Why =>
        "ALTER TABLE ... DETACH PARTITION takes ACCESS EXCLUSIVE on the partitioned table and on the partition. Detaching only " +
        "changes the catalog, but the lock has to wait for every query already running on the partitioned table, and every " +
        "query on it that arrives meanwhile queues behind it; inside a transaction the lock is held until it commits.";

    /// <inheritdoc />
    public override string Fix =>
        "On PostgreSQL 14 and later use DETACH PARTITION ... CONCURRENTLY: it takes SHARE UPDATE EXCLUSIVE on the partitioned " +
        "table, so queries go on, and waits in a second transaction for queries that still see the partition. It cannot run " +
        "in a transaction block (Stepwise runs such a migration statement by statement) nor when the table has a default " +
        "partition; if it is interrupted, finish it with DETACH PARTITION ... FINALIZE.";

    /// <inheritdoc />
    public override string FixExample => "ALTER TABLE events DETACH PARTITION events_2023 CONCURRENTLY;";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        // Before PostgreSQL 14 there is no concurrent form to ask for.
        if (context.PostgresVersion < 14 || statement.Tree.Target is not { } parent || context.IsCreatedInFile(parent))
        {
            return;
        }
        foreach (var command in statement.Tree.AlterTableCommands)
        {
            if (command.Subtype != "AT_DetachPartition" || command.Definition.Bool("concurrent"))
            {
                continue;
            }
            var partition = RelationName.FromRangeVar(command.Definition.Node("name", "RangeVar"));
            context.Report(statement,
                $"ALTER TABLE {parent} DETACH PARTITION {partition} without CONCURRENTLY takes {HeldLocks.On(statement.Tree, parent).ToSql()} " +
                $"on {parent} and {HeldLocks.On(statement.Tree, partition).ToSql()} on {partition}: every read and write through {parent} queues " +
                $"behind it {HeldLocks.Until(statement, "the detach ends")}, and it first waits for every query already running there",
                parent);
        }
    }
}
