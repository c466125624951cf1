using System.Diagnostics;
using Stepwise.Cli;

namespace Stepwise.IntegrationTests.Cli;

/// <summary>
/// The CLI on a real terminal: it runs in a tmux pane of <see cref="Width"/> columns (a pseudo-terminal, so standard output and
/// error are both the terminal and Spectre draws live progress), and the pane's screen, scrollback included, is read back with
/// <c>tmux capture-pane</c> once the command has exited. Needs tmux.
/// </summary>
internal static class Terminal
{
    public const int Width = 150;

    /// <summary>
    /// Runs <c>stepwise ARGS</c> (with STEPWISE_DATABASE_URL set when given) in a detached tmux session and returns the pane after it exits,
    /// ending in <c>EXIT=code</c>; with <paramref name="escapes"/>, with the colours and attributes of the text as escape sequences.
    /// </summary>
    public static async Task<string> RunAsync(IReadOnlyList<string> args, string? databaseUrl, string workingDirectory, bool escapes = false)
    {
        var session = $"stepwise-test-{Guid.NewGuid():N}";
        var cli = string.Join(' ', new[] { "dotnet", typeof(StepwiseCli).Assembly.Location }.Concat(args).Select(Shell));
        var command = $"cd {Shell(workingDirectory)} && env {(databaseUrl is null ? "" : $"STEPWISE_DATABASE_URL={Shell(databaseUrl)} ")}{cli}; echo EXIT=$?; sleep 600";
        await TmuxAsync("new-session", "-d", "-s", session, "-x", Width.ToString(), "-y", "50", command);
        try
        {
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (true)
            {
                var screen = await TmuxAsync([.. new[] { "capture-pane", "-p", "-J" }, .. escapes ? ["-e"] : Array.Empty<string>(), "-t", session, "-S", "-500"]);
                if (screen.Contains("EXIT=", StringComparison.Ordinal))
                {
                    return string.Join('\n', screen.Split('\n').Select(l => l.TrimEnd()));
                }
                Assert.True(DateTime.UtcNow < deadline, "the command did not finish in 3 minutes:\n" + screen);
                await Task.Delay(200);
            }
        }
        finally
        {
            await TmuxAsync("kill-session", "-t", session);
        }
    }

    public static string Shell(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static async Task<string> TmuxAsync(params string[] args)
    {
        var info = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException("tmux did not start");
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"tmux {string.Join(' ', args)}: {error}");
        return output;
    }
}
