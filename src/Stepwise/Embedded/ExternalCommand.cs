using System.ComponentModel;
using System.Diagnostics;

namespace Stepwise.Embedded;

/// <summary>Runs a short-lived program (initdb, cp, useradd, ...) to completion, capturing what it prints.</summary>
internal static class ExternalCommand
{
    internal readonly record struct Result(int ExitCode, string Output);

    internal static async Task<Result> RunAsync(ProcessStartInfo startInfo, CancellationToken cancellationToken)
    {
        startInfo.UseShellExecute = false;
        startInfo.RedirectStandardInput = true;
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new TempPostgresException($"Could not run {Describe(startInfo)}: {e.Message}", e);
        }
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is InvalidOperationException or Win32Exception)
            {
                // Exited meanwhile.
            }
            throw;
        }
        return new Result(process.ExitCode, (await stdout) + (await stderr));
    }

    /// <summary>Like <see cref="RunAsync"/>, but a non-zero exit code is a <see cref="TempPostgresException"/>.</summary>
    internal static async Task<string> RunCheckedAsync(ProcessStartInfo startInfo, string? hint, CancellationToken cancellationToken)
    {
        var result = await RunAsync(startInfo, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new TempPostgresException(
                $"{Describe(startInfo)} failed with exit code {result.ExitCode}.{(hint is null ? "" : " " + hint)}\n{LastLines(result.Output, 20)}");
        }
        return result.Output;
    }

    internal static string Describe(ProcessStartInfo startInfo) =>
        string.Join(' ', [startInfo.FileName, .. startInfo.ArgumentList]);

    internal static string LastLines(string text, int count)
    {
        var lines = text.TrimEnd().Split('\n');
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - count)));
    }

    /// <summary>The first file named <paramref name="name"/> in a directory on PATH, or null.</summary>
    internal static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
