using System.Diagnostics;
using Npgsql;

namespace Stepwise.Bench;

/// <summary>
/// Application traffic for the reference scenario: clients that each alternate an insert of a run and a read
/// of an organization's recent runs, with a short think time, recording every transaction's start, end and
/// error. They behave like the old application version (inserts without organization_id, reads through
/// workflows) until <see cref="Deploy"/> switches them to the new one (inserts with it, reads by it).
/// </summary>
internal sealed class LoadGenerator
{
    /// <summary>What the clients read between inserts.</summary>
    public enum Reads
    {
        /// <summary>An organization's 20 latest runs (through workflows until the new version).</summary>
        OrganizationLatest,

        /// <summary>A workflow's 20 latest runs, by the (workflow_id, created_at) index: a few ms.</summary>
        FastIndexed,

        /// <summary>
        /// An organization's 20 latest runs (as <see cref="OrganizationLatest"/>) on a table without the per-workflow index: the
        /// list the reference migration's index exists to fix, a join over the whole table, hundreds of ms.
        /// </summary>
        SlowOrganizationLatest,
    }

    private Reads _reads = Reads.OrganizationLatest;

    /// <summary>One client transaction; times in milliseconds since the generator started.</summary>
    public readonly record struct Transaction(double Start, double End, bool Insert, bool NewVersion, string? Error);

    private readonly string _connectionString;
    private readonly int _clients;
    private readonly TimeSpan _think;
    private readonly long _origin = Stopwatch.GetTimestamp();
    private readonly List<Transaction>[] _log;
    private readonly (long Workflow, Guid Organization)[] _workflows;
    private readonly Guid[] _organizations;
    private readonly CancellationTokenSource _stop = new();
    private readonly bool[] _onNewVersion;
    private readonly System.Collections.Concurrent.ConcurrentQueue<(double End, double Latency)> _recent = new();
    private volatile bool _newVersion;
    private Task[] _running = [];

    private LoadGenerator(string connectionString, int clients, TimeSpan think, (long, Guid)[] workflows, Guid[] organizations)
    {
        _connectionString = connectionString;
        _clients = clients;
        _think = think;
        _workflows = workflows;
        _organizations = organizations;
        _log = Enumerable.Range(0, clients).Select(_ => new List<Transaction>(1 << 16)).ToArray();
        _onNewVersion = new bool[clients];
    }

    public static async Task<LoadGenerator> CreateAsync(string connectionString, int clients, TimeSpan think, Reads reads)
    {
        var generator = await CreateAsync(connectionString, clients, think);
        generator._reads = reads;
        return generator;
    }

    public static async Task<LoadGenerator> CreateAsync(string connectionString, int clients, TimeSpan think)
    {
        await using var connection = await ReferenceData.OpenAsync(connectionString);
        var workflows = new List<(long, Guid)>();
        await using (var command = new NpgsqlCommand("SELECT id, organization_id FROM workflows ORDER BY id", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                workflows.Add((reader.GetInt64(0), reader.GetGuid(1)));
            }
        }
        return new LoadGenerator(connectionString, clients, think, [.. workflows], [.. workflows.Select(w => w.Item2).Distinct()]);
    }

    /// <summary>Milliseconds since the generator was created: the clock of every recorded transaction.</summary>
    public double Now => Stopwatch.GetElapsedTime(_origin).TotalMilliseconds;

    public void Start() => _running = Enumerable.Range(0, _clients).Select(i => Task.Run(() => ClientAsync(i))).ToArray();

    /// <summary>Deploys the new version and returns once every client runs it: no old-version transaction is in flight or will start.</summary>
    public async Task DeployAsync()
    {
        _newVersion = true;
        while (Enumerable.Range(0, _clients).Any(i => !Volatile.Read(ref _onNewVersion[i])))
        {
            await Task.Delay(1);
        }
    }

    /// <summary>
    /// The 99th percentile latency of the transactions completed in the last <paramref name="window"/> (what an
    /// application's metrics would report). One caller at a time: it drops what is older than the window.
    /// </summary>
    public TimeSpan RecentP99(TimeSpan window)
    {
        var since = Now - window.TotalMilliseconds;
        while (_recent.TryPeek(out var oldest) && oldest.End < since)
        {
            _recent.TryDequeue(out _);
        }
        var latencies = _recent.Select(r => r.Latency).Order().ToArray();
        return latencies.Length == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(latencies[(int)Math.Ceiling(0.99 * latencies.Length) - 1]);
    }

    /// <summary>Stops the clients (each finishes its transaction in flight) and returns every transaction, ordered by end.</summary>
    public async Task<List<Transaction>> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_running);
        return _log.SelectMany(l => l).OrderBy(t => t.End).ToList();
    }

    private async Task ClientAsync(int client)
    {
        var random = new Random(client);
        var log = _log[client];
        NpgsqlConnection? connection = null;
        var insert = client % 2 == 0;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                connection ??= await ReferenceData.OpenAsync(_connectionString, "load");
                var newVersion = _newVersion;
                Volatile.Write(ref _onNewVersion[client], newVersion);
                var (workflow, organization) = _workflows[random.Next(_workflows.Length)];
                var start = Now;
                await using var command = Command(connection, _reads, insert, newVersion, workflow, insert ? organization : _organizations[random.Next(_organizations.Length)]);
                var (error, broken) = await RunAsync(command, read: !insert);
                if (broken)
                {
                    await connection.DisposeAsync();
                    connection = null;
                }
                var end = Now;
                log.Add(new Transaction(start, end, insert, newVersion, error));
                _recent.Enqueue((end, end - start));
                insert = !insert;
                if (_think > TimeSpan.Zero)
                {
                    await Task.Delay(_think, CancellationToken.None);
                }
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, Reads reads, bool insert, bool newVersion, long workflow, Guid organization)
    {
        var sql = (insert, newVersion, reads) switch
        {
            (false, _, Reads.FastIndexed) => "SELECT id, state, created_at FROM workflow_runs WHERE workflow_id = $1 ORDER BY created_at DESC LIMIT 20",
            (true, false, _) => "INSERT INTO workflow_runs (workflow_id, state) VALUES ($1, 'queued')",
            (true, true, _) => "INSERT INTO workflow_runs (workflow_id, organization_id, state) VALUES ($1, $2, 'queued')",
            (false, false, _) => """
                SELECT r.id, r.state, r.created_at FROM workflow_runs r JOIN workflows w ON w.id = r.workflow_id
                WHERE w.organization_id = $2 ORDER BY r.created_at DESC LIMIT 20
                """,
            (false, true, _) => "SELECT id, state, created_at FROM workflow_runs WHERE organization_id = $2 ORDER BY created_at DESC LIMIT 20",
        };
        // Both parameters are typed, so a statement may leave one unused.
        var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 120 };
        command.Parameters.AddWithValue(workflow);
        command.Parameters.AddWithValue(organization);
        return command;
    }

    /// <summary>
    /// Runs one client statement (a read consumes every row): the error it met, null when none, and whether the connection
    /// broke (reconnect); a server error leaves the connection usable.
    /// </summary>
    internal static async Task<(string? Error, bool Broken)> RunAsync(NpgsqlCommand command, bool read)
    {
        try
        {
            if (read)
            {
                await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
                while (await reader.ReadAsync(CancellationToken.None))
                {
                }
            }
            else
            {
                await command.ExecuteNonQueryAsync(CancellationToken.None);
            }
            return (null, false);
        }
        catch (PostgresException ex)
        {
            return ($"{ex.SqlState}: {ex.MessageText}", false);
        }
        catch (NpgsqlException ex)
        {
            return (ex.Message, true);
        }
    }
}
