using Stepwise.Catalog;
using Stepwise.Execution;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Operations;

/// <summary>One PostgreSQL server for every per-operation test class (they run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class OperationsCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "operations";
}

/// <summary>
/// An operation migration taken through its phases on a real PostgreSQL, the way pgroll tests each operation: the base
/// schema applied, then start (<see cref="StartAsync"/>), rollback (<see cref="RollbackAsync"/>: the catalog must equal
/// the one before start) and start again with complete (<see cref="CompleteAsync"/>: no helper object left, history
/// applied). Between phases the test asserts what must hold, with reads and writes as old and new code would do them.
/// </summary>
internal sealed class OperationPhases : IAsyncDisposable
{
    /// <summary>teams, users (with a check, an index and a view), legacy, logs (no key), memberships (composite key), empty.</summary>
    public const string Base = """
        -- stepwise:up
        CREATE TABLE teams (id bigint PRIMARY KEY, name text NOT NULL);
        CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, team_id bigint, nickname text, score int DEFAULT 0);
        CREATE INDEX users_team_idx ON users (team_id);
        ALTER TABLE users ADD CONSTRAINT users_score_check CHECK (score >= 0);
        CREATE VIEW active_users AS SELECT id, email FROM users;
        COMMENT ON VIEW active_users IS 'who is here';
        CREATE TABLE legacy (id int);
        CREATE TABLE logs (line text);
        CREATE TABLE memberships (team_id bigint, user_id bigint, role text, PRIMARY KEY (team_id, user_id));
        CREATE TABLE empty (id bigint PRIMARY KEY);
        INSERT INTO teams SELECT g, 'team ' || g FROM generate_series(1, 10) g;
        INSERT INTO users (id, email, team_id) SELECT g, 'u' || g || '@example.com', 1 + g % 10 FROM generate_series(1, 3000) g;
        INSERT INTO logs SELECT 'line ' || g FROM generate_series(1, 3000) g;
        INSERT INTO memberships SELECT 1 + g % 10, g, NULL FROM generate_series(1, 3000) g;
        """;

    private readonly SchemaModel _before;

    private OperationPhases(MigrationWorkspace workspace, SchemaModel before)
    {
        Workspace = workspace;
        _before = before;
    }

    public MigrationWorkspace Workspace { get; }

    /// <summary>Applies <see cref="Base"/>, then starts <paramref name="yaml"/>.</summary>
    public static async Task<OperationPhases> StartAsync(PostgresFixture fixture, string yaml)
    {
        var ws = await MigrationWorkspace.CreateAsync(fixture);
        ws.Write("1_base.sql", Base).Write("2_op.yaml", yaml).WriteSum();
        await ws.Migrator().ApplyAsync(new ApplyRequest { ToVersion = 1 });
        var phases = new OperationPhases(ws, await CatalogReader.ReadWithHelpersAsync(ws.ConnectionString));
        await ws.Migrator().ApplyAsync(new ApplyRequest());
        Assert.Equal(MigrationState.Started, await StateAsync(ws));
        return phases;
    }

    /// <summary>Rolls the started migration back: the catalog equals the one before start, helper objects and version schemas included.</summary>
    public async Task RollbackAsync()
    {
        await Workspace.Migrator().RollbackAsync();
        Assert.Equal([], SchemaDiff.Compare(_before, await CatalogReader.ReadWithHelpersAsync(Workspace.ConnectionString)).Select(c => c.ToString()));
        Assert.Equal(MigrationState.Pending, await StateAsync(Workspace));
    }

    /// <summary>Starts again and completes: no <c>_stepwise_*</c> helper is left and the migration is applied.</summary>
    public async Task CompleteAsync()
    {
        await Workspace.Migrator().ApplyAsync(new ApplyRequest());
        await Workspace.Migrator().CompleteAsync();
        Assert.Equal(0L, await ScalarAsync<long>("""
            SELECT (SELECT count(*) FROM pg_trigger WHERE tgname LIKE '\_stepwise%') + (SELECT count(*) FROM pg_proc WHERE proname LIKE '\_stepwise%')
                 + (SELECT count(*) FROM pg_constraint WHERE conname LIKE '\_stepwise%')
            """));
        Assert.Equal(MigrationState.Applied, await StateAsync(Workspace));
    }

    public async Task<T> ScalarAsync<T>(string sql) => (await Workspace.ScalarAsync<T>(sql))!;

    /// <summary>True when <paramref name="sql"/> (a boolean query) holds; the message names the query.</summary>
    public async Task HoldsAsync(string sql) => Assert.True(await ScalarAsync<bool>(sql), sql);

    public Task ExecuteAsync(string sql) => Workspace.ExecuteAsync(sql);

    /// <summary><paramref name="sql"/> fails with <paramref name="sqlState"/> (a constraint doing its job).</summary>
    public async Task RefusedAsync(string sql, string sqlState) =>
        Assert.Equal(sqlState, (await Assert.ThrowsAsync<Npgsql.PostgresException>(() => ExecuteAsync(sql))).SqlState);

    public ValueTask DisposeAsync() => Workspace.DisposeAsync();

    private static async Task<MigrationState> StateAsync(MigrationWorkspace ws) =>
        (await ws.Migrator().StatusAsync()).Entries.Single(e => e.Version == 2).State;
}
