using Stepwise.Testing;

namespace Stepwise.Tests.Cli;

/// <summary>Runs the stepwise command (in-process, or the binary named by STEPWISE_TEST_CLI) with captured output and a private environment.</summary>
internal sealed class CliRunner : IDisposable
{
    private readonly Dictionary<string, string> _env = [];

    public CliRunner() => WorkingDirectory = Directory.CreateTempSubdirectory("stepwise-cli-").FullName;

    public string WorkingDirectory { get; }

    public CliRunner Env(string name, string value)
    {
        _env[name] = value;
        return this;
    }

    public string Write(string relativePath, string content)
    {
        var path = Path.Combine(WorkingDirectory, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public Task<(int ExitCode, string Out, string Error)> Run(params string[] args) => CliInvocation.RunAsync(args, _env, WorkingDirectory);

    public void Dispose() => Directory.Delete(WorkingDirectory, recursive: true);
}
