using Stepwise.Cli;

namespace Stepwise.Tests.Cli;

/// <summary>Runs the stepwise command in-process with captured output and a private environment.</summary>
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

    public async Task<(int ExitCode, string Out, string Error)> Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var env = new CliEnvironment(stdout, stderr, name => _env.TryGetValue(name, out var v) ? v : null, WorkingDirectory);
        var code = await StepwiseCli.RunAsync(args, env);
        return (code, stdout.ToString(), stderr.ToString());
    }

    public void Dispose() => Directory.Delete(WorkingDirectory, recursive: true);
}
