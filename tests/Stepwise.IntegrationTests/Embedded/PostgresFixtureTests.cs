namespace Stepwise.IntegrationTests.Embedded;

public sealed class PostgresFixtureTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Fixture_gives_the_class_a_running_server()
    {
        await using var connection = new Npgsql.NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("select current_user", connection);

        Assert.Equal("postgres", await command.ExecuteScalarAsync());
    }
}
