using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Stepwise.Embedded;

namespace Stepwise.IntegrationTests.Embedded;

public sealed class TempPostgresTests
{
    [Fact]
    public async Task Start_gives_a_server_that_answers_with_durability_off_and_dispose_removes_it()
    {
        var options = new TempPostgresOptions { Settings = { ["work_mem"] = "7MB" } };
        var postgres = await TempPostgres.StartAsync(options);
        var (pid, port, instanceDirectory) = (postgres.ServerProcessId, postgres.Port, Path.GetDirectoryName(postgres.DataDirectory)!);
        await using (postgres)
        {
            Assert.StartsWith("PostgreSQL ", await ScalarAsync(postgres.ConnectionString, "select version()"));
            Assert.Equal("off", await ScalarAsync(postgres.ConnectionString, "select current_setting('fsync')"));
            Assert.Equal("off", await ScalarAsync(postgres.ConnectionString, "select current_setting('full_page_writes')"));
            Assert.Equal("7MB", await ScalarAsync(postgres.ConnectionString, "select current_setting('work_mem')"));
            Assert.Equal("UTF8", await ScalarAsync(postgres.ConnectionString, "select pg_encoding_to_char(encoding) from pg_database where datname = 'postgres'"));
            Assert.Contains($"Port={port}", postgres.ConnectionString);
            Assert.True(File.Exists(Path.Combine(postgres.BinDirectory, "postgres")));
            Assert.True(ProcFs.IsPostmasterOf(pid, postgres.DataDirectory));
        }

        Assert.False(Directory.Exists(instanceDirectory));
        Assert.False(ProcFs.IsPostmasterOf(pid, postgres.DataDirectory));
        using var client = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, port));
    }

    [Fact]
    public async Task Two_instances_run_at_once_on_different_ports()
    {
        var starts = new[] { TempPostgres.StartAsync(), TempPostgres.StartAsync() };
        await using var first = await starts[0];
        await using var second = await starts[1];

        Assert.NotEqual(first.Port, second.Port);
        Assert.NotEqual(first.DataDirectory, second.DataDirectory);
        await NonQueryAsync(first.ConnectionString, "create table only_in_first (id int)");
        Assert.Equal("1", await ScalarAsync(first.ConnectionString, "select count(*) from pg_tables where tablename = 'only_in_first'"));
        Assert.Equal("0", await ScalarAsync(second.ConnectionString, "select count(*) from pg_tables where tablename = 'only_in_first'"));
    }

    [Fact]
    public async Task CreateDatabaseAsync_quotes_the_name_and_returns_a_connection_string_for_it()
    {
        await using var postgres = await TempPostgres.StartAsync();

        var connectionString = await postgres.CreateDatabaseAsync("Mixed \"Case\" db");

        Assert.Equal("Mixed \"Case\" db", await ScalarAsync(connectionString, "select current_database()"));
    }

    [Fact]
    public async Task Start_without_template_runs_initdb()
    {
        await using var postgres = await TempPostgres.StartAsync(new TempPostgresOptions { UseTemplate = false });

        Assert.Equal("C", await ScalarAsync(postgres.ConnectionString, "select datcollate from pg_database where datname = 'postgres'"));
    }

    [Fact]
    public async Task Sweep_stops_the_server_and_removes_the_directory_of_an_owner_that_died()
    {
        var postgres = await TempPostgres.StartAsync();
        await using (postgres)
        {
            var pid = postgres.ServerProcessId;
            var instanceDirectory = Path.GetDirectoryName(postgres.DataDirectory)!;
            // Stand in for a test run killed with SIGKILL: the recorded owner is a process that has exited.
            new OwnerRecord(await ExitedProcessIdAsync(), StartTime: 1).WriteTo(instanceDirectory);

            var removed = await TempPostgres.SweepStaleAsync();

            Assert.True(removed >= 1);
            Assert.False(ProcFs.IsPostmasterOf(pid, postgres.DataDirectory));
            Assert.False(Directory.Exists(instanceDirectory));
        }
    }

    [Fact]
    public async Task Sweep_treats_an_owner_pid_now_used_by_another_process_as_dead()
    {
        var postgres = await TempPostgres.StartAsync();
        await using (postgres)
        {
            var instanceDirectory = Path.GetDirectoryName(postgres.DataDirectory)!;
            // Our pid is alive, but with a start time that is not ours it names some earlier process.
            new OwnerRecord(Environment.ProcessId, OwnerRecord.Current.StartTime - 1).WriteTo(instanceDirectory);

            await TempPostgres.SweepStaleAsync();

            Assert.False(ProcFs.IsPostmasterOf(postgres.ServerProcessId, postgres.DataDirectory));
            Assert.False(Directory.Exists(instanceDirectory));
        }
    }

    [Fact]
    public async Task Sweep_leaves_servers_of_live_owners_running()
    {
        await using var postgres = await TempPostgres.StartAsync();

        await TempPostgres.SweepStaleAsync();

        Assert.Equal("1", await ScalarAsync(postgres.ConnectionString, "select 1"));
    }

    [Fact]
    public async Task Server_runs_as_an_unprivileged_user_when_we_are_root()
    {
        await using var postgres = await TempPostgres.StartAsync();

        var serverUid = RealUserId(postgres.ServerProcessId);
        var ourUid = Libc.GetEffectiveUserId();
        if (ourUid == 0)
        {
            Assert.NotEqual(0u, serverUid);
        }
        else
        {
            Assert.Equal(ourUid, serverUid);
        }
    }

    [Fact]
    public async Task Bin_directory_without_the_binaries_fails_naming_the_package_to_install()
    {
        var empty = Directory.CreateTempSubdirectory("stepwise-no-pg-").FullName;
        try
        {
            var error = await Assert.ThrowsAsync<TempPostgresException>(
                () => TempPostgres.StartAsync(new TempPostgresOptions { BinDirectory = empty }));

            Assert.Contains("PostgreSQL server binaries (initdb, postgres) not found in " + empty, error.Message);
            Assert.Contains("sudo apt-get install -y postgresql", error.Message);
            Assert.Contains("STEPWISE_PG_BIN", error.Message);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Fact]
    public async Task Server_that_fails_to_start_is_reported_with_its_log_and_leaves_nothing_behind()
    {
        var root = Directory.CreateTempSubdirectory("stepwise-pg-test-").FullName;
        try
        {
            var options = new TempPostgresOptions { RootDirectory = root, UseTemplate = false, Settings = { ["no_such_setting"] = "1" } };

            var error = await Assert.ThrowsAsync<TempPostgresException>(() => TempPostgres.StartAsync(options));

            Assert.Contains("unrecognized configuration parameter \"no_such_setting\"", error.Message);
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(root, "instances")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<string?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (await command.ExecuteScalarAsync())?.ToString();
    }

    private static async Task NonQueryAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<int> ExitedProcessIdAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        return process.Id;
    }

    /// <summary>The real uid from <c>/proc/&lt;pid&gt;/status</c> ("Uid:	real	effective	saved	fs").</summary>
    private static uint RealUserId(int processId)
    {
        var line = File.ReadLines($"/proc/{processId}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        return uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);
    }
}
