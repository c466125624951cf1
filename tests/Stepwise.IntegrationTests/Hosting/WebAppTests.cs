using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Stepwise.IntegrationTests.Execution;

namespace Stepwise.IntegrationTests.Hosting;

/// <summary>
/// examples/WebApp, run as a deployment runs it: <c>dotnet WebApp.dll --urls ...</c> with its connection string
/// in <c>ConnectionStrings__Default</c> and its migrations embedded in the assembly.
/// </summary>
public sealed class WebAppTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static readonly string s_repository = FindRepository();

    private static string FindRepository()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Stepwise.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("the repository (Stepwise.slnx) is not above " + AppContext.BaseDirectory);
    }

    /// <summary>WebApp.dll, built by this project's build in the same configuration (bin/&lt;configuration&gt;/net10.0).</summary>
    private static string WebAppDll() => ExampleDll("WebApp");

    /// <summary>The repository's root (where Stepwise.slnx is).</summary>
    internal static string Repository => s_repository;

    /// <summary>examples/&lt;name&gt;/bin/&lt;configuration&gt;/net10.0/&lt;name&gt;.dll, built by this project's build in the same configuration.</summary>
    internal static string ExampleDll(string name)
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var dll = Path.Combine(s_repository, "examples", name, "bin", framework.Parent!.Name, framework.Name, name + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"build examples/{name} first", dll);
    }

    [Fact]
    public async Task Refuses_to_start_while_a_migration_is_pending_starts_after_apply_and_health_reports_each_state()
    {
        await using var ws = await MigrationWorkspace.CreateAsync(fixture);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(s_repository, "examples", "WebApp", "migrations")))
        {
            File.Copy(file, Path.Combine(ws.Directory, Path.GetFileName(file)));
        }

        await using (var refused = WebApp.Start(ws.ConnectionString))
        {
            var code = await refused.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(1, code);
            var line = Assert.Single(refused.Output.Split('\n'), l => l.Contains("Stepwise.Hosting[2002]", StringComparison.Ordinal));
            Assert.Contains("migration 20261121090000_create_notes.sql is pending: run stepwise apply; migration 20261121091500_add_note_author.sql is pending", line, StringComparison.Ordinal);
            Assert.Contains("column public.notes.author, which the application needs, does not exist", line, StringComparison.Ordinal);
            Assert.Contains("Fix: stepwise apply -d \"Host=127.0.0.1;", line, StringComparison.Ordinal);
            Assert.Contains("--dir migrations", line, StringComparison.Ordinal);
        }

        Assert.Equal(0, (await ws.RunCliAsync("apply")).Code);
        await using var app = WebApp.Start(ws.ConnectionString);
        var healthy = await app.WaitUntilServingAsync("/health");
        Assert.Equal((HttpStatusCode.OK, "Healthy"), (healthy.Status, healthy.Json.GetProperty("status").GetString()));
        Assert.Equal(20261121091500, healthy.Json.GetProperty("checks").GetProperty("stepwise").GetProperty("data").GetProperty("version").GetInt64());
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/notes")).Status);

        // Rolled back under the running app: pending again, and the column it needs is gone.
        Assert.Equal(0, (await ws.RunCliAsync("rollback")).Code);
        var unhealthy = await app.GetAsync("/health");
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"), (unhealthy.Status, unhealthy.Json.GetProperty("status").GetString()));
        var check = unhealthy.Json.GetProperty("checks").GetProperty("stepwise");
        Assert.Equal("migration 20261121091500_add_note_author.sql is pending: run stepwise apply (and 1 more)", check.GetProperty("description").GetString());
        Assert.Equal(["20261121091500_add_note_author.sql"], check.GetProperty("data").GetProperty("pending").EnumerateArray().Select(e => e.GetString()));

        // A newer release migrates further while this one still runs (a rolling deploy): still healthy.
        ws.Write("20261121100000_add_note_tags.sql", "-- stepwise:up\nALTER TABLE notes ADD COLUMN tags text[];\n").WriteSum();
        Assert.Equal(0, (await ws.RunCliAsync("apply")).Code);
        var ahead = await app.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, ahead.Status);
        Assert.Equal(["20261121100000_add_note_tags.sql"],
            ahead.Json.GetProperty("checks").GetProperty("stepwise").GetProperty("data").GetProperty("ahead").EnumerateArray().Select(e => e.GetString()));
    }

    /// <summary>The example app as a child process; disposing kills it (and waits) if it still runs.</summary>
    private sealed class WebApp : IAsyncDisposable
    {
        private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(10) };
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly string _baseUrl;

        private WebApp(Process process, string baseUrl)
        {
            _process = process;
            _baseUrl = baseUrl;
        }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public static WebApp Start(string connectionString)
        {
            var dll = WebAppDll();
            var baseUrl = $"http://127.0.0.1:{FreePort()}";
            var start = new ProcessStartInfo("dotnet")
            {
                ArgumentList = { dll, "--urls", baseUrl },
                WorkingDirectory = Path.GetDirectoryName(dll)!,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.Environment["ConnectionStrings__Default"] = connectionString;
            var process = new Process { StartInfo = start };
            var app = new WebApp(process, baseUrl);
            process.OutputDataReceived += (_, e) => app.Append(e.Data);
            process.ErrorDataReceived += (_, e) => app.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return app;
        }

        private void Append(string? line)
        {
            if (line is not null)
            {
                lock (_output)
                {
                    _output.Append(line).Append('\n');
                }
            }
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            await _process.WaitForExitAsync(cancel.Token);
            return _process.ExitCode;
        }

        public async Task<(HttpStatusCode Status, JsonElement Json)> GetAsync(string path)
        {
            using var response = await s_http.GetAsync(_baseUrl + path);
            var body = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
        }

        /// <summary>Polls until the app answers; fails at once, with its output, if it exits instead.</summary>
        public async Task<(HttpStatusCode Status, JsonElement Json)> WaitUntilServingAsync(string path)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                Assert.False(_process.HasExited, "the app exited:\n" + Output);
                try
                {
                    return await GetAsync(path);
                }
                catch (HttpRequestException) when (clock.Elapsed < TimeSpan.FromSeconds(60))
                {
                    await Task.Delay(100);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            _process.Dispose();
        }
    }
}
