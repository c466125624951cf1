using Stepwise.Catalog;

namespace Stepwise.IntegrationTests.Operations;

/// <summary><c>set_replica_identity</c> through start, rollback and complete.</summary>
[Collection(OperationsCollection.Name)]
public class SetReplicaIdentityTests(PostgresFixture fixture)
{
    [Fact]
    public async Task The_identity_is_set_at_start_the_catalog_sees_it_and_rollback_gives_back_the_default()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - set_replica_identity: { table: users, identity: { type: index, index: users_pkey } }
              - set_replica_identity: { table: logs, identity: { type: full, index: "" } }
            """);

        await op.HoldsAsync("SELECT relreplident = 'i' FROM pg_class WHERE oid = 'users'::regclass");
        await op.HoldsAsync("SELECT indisreplident FROM pg_index WHERE indexrelid = 'users_pkey'::regclass");
        await op.HoldsAsync("SELECT relreplident = 'f' FROM pg_class WHERE oid = 'logs'::regclass");
        var users = (await CatalogReader.ReadAsync(op.Workspace.ConnectionString)).Tables.Single(t => t.Name == "users");
        Assert.Equal("USING INDEX \"users_pkey\"", users.ReplicaIdentityClause);

        await op.RollbackAsync();
        await op.HoldsAsync("SELECT bool_and(relreplident = 'd') FROM pg_class WHERE oid IN ('users'::regclass, 'logs'::regclass)");
        await op.CompleteAsync();

        await op.HoldsAsync("SELECT relreplident = 'i' FROM pg_class WHERE oid = 'users'::regclass");
    }

    [Fact]
    public async Task A_changed_replica_identity_is_a_difference_of_the_catalog_and_diff_writes_its_sql()
    {
        await using var op = await OperationPhases.StartAsync(fixture, """
            operations:
              - set_replica_identity: { table: users, identity: { type: nothing, index: "" } }
            """);
        var started = await CatalogReader.ReadAsync(op.Workspace.ConnectionString);
        await op.RollbackAsync();
        var before = await CatalogReader.ReadAsync(op.Workspace.ConnectionString);

        Assert.Equal(["changed table public.users: replica identity DEFAULT → NOTHING"], SchemaDiff.Compare(before, started).Select(c => c.ToString()));
        Assert.Contains("ALTER TABLE \"public\".\"users\" REPLICA IDENTITY NOTHING", SchemaSql.Generate(before, started).Select(s => s.Sql));
    }
}
