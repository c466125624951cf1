using System.Collections.Concurrent;
using Npgsql;

namespace Stepwise.Connections;

/// <summary>
/// Where every connection the library opens comes from: one data source per connection string, built with Npgsql's slim
/// builder and only the features Stepwise uses — TLS and Kerberos/GSS to connect, arrays (<c>text[]</c> parameters and
/// catalog arrays) to read its own queries. Fewer type handlers mean less work when a
/// process starts and a smaller native executable. Rows of the user's own queries (checks and assertions) are read as text
/// (<see cref="NpgsqlCommand.AllResultTypesAreUnknown"/>), so they need no type handler at all. The application's own data
/// source (the hosting package) is the application's: it is not built here.
/// </summary>
internal static class DataSources
{
    private static readonly ConcurrentDictionary<string, Lazy<NpgsqlDataSource>> s_sources = new(StringComparer.Ordinal);

    /// <summary>A new (closed) connection to <paramref name="connectionString"/>'s database.</summary>
    public static NpgsqlConnection Connection(string connectionString) =>
        s_sources.GetOrAdd(connectionString, static cs => new Lazy<NpgsqlDataSource>(() => Build(cs))).Value.CreateConnection();

    /// <summary>An open connection to <paramref name="connectionString"/>'s database.</summary>
    public static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = Connection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Closes the idle pooled connections of <paramref name="connectionString"/> (NpgsqlConnection.ClearPool does not see these pools).</summary>
    public static void Clear(string connectionString)
    {
        if (s_sources.TryGetValue(connectionString, out var source) && source.IsValueCreated)
        {
            source.Value.Clear();
        }
    }

    /// <summary>Closes the idle pooled connections of every data source (as NpgsqlConnection.ClearAllPools does for Npgsql's own).</summary>
    public static void ClearAll()
    {
        foreach (var source in s_sources.Values.Where(s => s.IsValueCreated))
        {
            source.Value.Clear();
        }
    }

    private static NpgsqlDataSource Build(string connectionString) =>
        new NpgsqlSlimDataSourceBuilder(connectionString)
            .EnableTransportSecurity()
            .EnableIntegratedSecurity()
            .EnableArrays()
            .Build();
}
