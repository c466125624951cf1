namespace Stepwise.Cli;

/// <summary>The process exit codes of <c>stepwise</c>, documented in <c>--help</c> and docs/cli.md.</summary>
internal static class ExitCodes
{
    /// <summary>Everything succeeded.</summary>
    public const int Success = 0;

    /// <summary>Checks failed, or findings at error level.</summary>
    public const int ChecksFailed = 1;

    /// <summary>Bad usage or bad input files; nothing was changed.</summary>
    public const int BadInput = 2;

    /// <summary>The database or the runtime failed (connection, server, missing native library).</summary>
    public const int RuntimeFailure = 3;

    public const string HelpText = """
        Exit codes:
          0  success
          1  checks failed or findings at error level
          2  bad usage or bad input files (nothing was changed)
          3  database or runtime failure
        """;
}

/// <summary>An error the user can fix, with the exit code it maps to; the message is shown as is.</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
