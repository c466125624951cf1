using System.Diagnostics;
using Stepwise.Cli;

namespace Stepwise.Testing;

/// <summary>
/// Runs the <c>stepwise</c> command for a test: in-process by default, or, when <c>STEPWISE_TEST_CLI</c> names an
/// executable (the Native AOT build from scripts/publish-aot.sh), as that process, so the same CLI tests check the
/// native binary. Either way the command sees only the variables given here of those it reads itself.
/// </summary>
internal static class CliInvocation
{
    /// <summary>The executable the CLI tests run, or null to run the command in-process.</summary>
    public static string? Binary { get; } = Environment.GetEnvironmentVariable("STEPWISE_TEST_CLI") is { Length: > 0 } path ? Path.GetFullPath(path) : null;

    // The variables the CLI looks up through CliEnvironment: a test decides them, not the machine running the tests.
    private static readonly string[] s_cliVariables = ["STEPWISE_DATABASE_URL", "DATABASE_URL", "STEPWISE_DEV_URL", "NO_COLOR"];

    public static async Task<(int ExitCode, string Out, string Error)> RunAsync(string[] args, IReadOnlyDictionary<string, string> variables, string workingDirectory,
        CancellationToken cancellationToken = default)
    {
        if (Binary is null)
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            var env = new CliEnvironment(stdout, stderr, name => variables.TryGetValue(name, out var v) ? v : null, workingDirectory);
            var code = await StepwiseCli.RunAsync(args, env, cancellationToken);
            return (code, stdout.ToString(), stderr.ToString());
        }

        var start = new ProcessStartInfo(Binary)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var name in s_cliVariables)
        {
            start.Environment.Remove(name);
        }
        foreach (var (name, value) in variables)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Binary}");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await output, await error);
    }
}
