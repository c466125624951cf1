using Stepwise.Embedded;

namespace Stepwise.IntegrationTests;

/// <summary>
/// One throwaway PostgreSQL server per test class: <c>IClassFixture&lt;PostgresFixture&gt;</c>. Classes run in
/// parallel, each with its own server; give each test its own database (<see cref="CreateDatabaseAsync"/>)
/// when tests in a class must not see each other's tables.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private TempPostgres? _postgres;

    /// <summary>The running server.</summary>
    public TempPostgres Postgres => _postgres ?? throw new InvalidOperationException("The fixture has not been initialized.");

    /// <summary>Connection string for the <c>postgres</c> database as superuser.</summary>
    public string ConnectionString => Postgres.ConnectionString;

    /// <summary>Creates a database and returns its connection string.</summary>
    public Task<string> CreateDatabaseAsync(string name) => Postgres.CreateDatabaseAsync(name);

    public async Task InitializeAsync() => _postgres = await TempPostgres.StartAsync();

    public async Task DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }
}
