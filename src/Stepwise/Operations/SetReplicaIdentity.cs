using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Operations;

/// <summary>
/// <c>set_replica_identity</c>: what logical replication records of a changed row (pgroll's operation). Metadata only;
/// rollback gives back the replica identity the table had (pgroll's rollback leaves it changed).
/// </summary>
/// <param name="Identity"><c>default</c>, <c>full</c>, <c>nothing</c> or <c>index</c> (lower case).</param>
/// <param name="Index">With <c>index</c>: a unique index of the table, on NOT NULL columns, neither partial nor deferrable.</param>
public sealed record SetReplicaIdentity(string Table, string Identity, string? Index = null) : Operation, IOperationFormat
{
    private static readonly string[] Identities = ["DEFAULT", "FULL", "NOTHING", "INDEX"];

    static OperationFormat IOperationFormat.Format { get; } = new("set_replica_identity", ["table", "identity"], f =>
    {
        var table = f.String("table", required: true);
        if (f.Object("identity", ["type", "index"], required: true) is not { } i)
        {
            return null;
        }
        var type = i.Enum("type", Identities, required: true)?.ToLowerInvariant();
        var index = i.String("index");
        if (type == "index" && string.IsNullOrWhiteSpace(index))
        {
            i.Missing("index", "name the unique index whose columns identify a row: index: <name>");
        }
        // pgroll's schema requires index with every type and writes it empty then: an empty one says nothing.
        else if (type is not null and not "index" && !string.IsNullOrWhiteSpace(index))
        {
            f.Context.Error(i.Value("index")!, "wrong-value", $"{i.What}.index names an index, but type is {type}", "use type: index, or remove index");
        }
        return table is null || type is null ? null : new SetReplicaIdentity(table, type, type == "index" ? index : null);
    });

    /// <summary>Start: <c>ALTER TABLE ... REPLICA IDENTITY</c> (metadata only). Rollback: the previous replica identity.</summary>
    public override void Plan(PlanBuilder plan)
    {
        var table = plan.RequireTable(Table, Position);
        if (Index is { } indexName)
        {
            var index = plan.Schema.Indexes.FirstOrDefault(i => i.Schema == table.Schema && i.Name == indexName)
                ?? throw new PlanningException($"index {table.Schema}.{indexName} does not exist", Position, "check the name (an index made in this migration by create_index is not usable here: make it in an earlier one)");
            if (index.Table != table.Name)
            {
                throw new PlanningException($"index {table.Schema}.{indexName} is on {index.Table}, not on {table.Name}", Position, "name an index of this table");
            }
            if (!index.Unique || !index.Valid)
            {
                throw new PlanningException($"index {table.Schema}.{indexName} is {(index.Unique ? "not valid" : "not unique")}: a replica identity needs a valid unique index",
                    Position, "name a unique index (the primary key's, or one made by create_index with unique: true)");
            }
        }
        var name = Quote.Ident(table.Schema, table.Name);
        var after = (table with { ReplicaIdentity = Identity, ReplicaIdentityIndex = Index }).ReplicaIdentityClause;
        plan.Start(Steps.Sql($"replica identity of {table.QualifiedName}: {after}", $"ALTER TABLE {name} REPLICA IDENTITY {after}"),
            Steps.Sql($"replica identity of {table.QualifiedName} back to {table.ReplicaIdentityClause}", $"ALTER TABLE {name} REPLICA IDENTITY {table.ReplicaIdentityClause}"));
    }
}
