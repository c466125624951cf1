namespace Stepwise.Linting.Reporters;

/// <summary>Everything one lint run found, ready for a reporter.</summary>
/// <param name="Results">One result per file, in the order linted.</param>
/// <param name="Rules">The rules that ran (for SARIF rule metadata).</param>
public sealed record LintReport(IReadOnlyList<LintResult> Results, IReadOnlyList<LintRule> Rules)
{
    /// <summary>Every finding of every file.</summary>
    public IEnumerable<LintFinding> Findings => Results.SelectMany(r => r.Findings);

    /// <summary>True when any finding is at error level (exit 1).</summary>
    public bool HasErrors => Findings.Any(f => f.Severity == LintSeverity.Error);

    /// <summary>The number of statements linted.</summary>
    public int Statements => Results.Sum(r => r.Statements);
}

/// <summary>Writes a <see cref="LintReport"/> in one format to a writer (the CLI picks it with <c>--format</c>).</summary>
public interface ILintReporter
{
    /// <summary>Writes the report.</summary>
    void Write(LintReport report, TextWriter writer);
}

/// <summary>The formats <c>stepwise lint</c> speaks.</summary>
public static class LintReporters
{
    /// <summary>Format names, for <c>--format</c>.</summary>
    public static readonly IReadOnlyList<string> Formats = ["text", "json", "sarif", "github", "gitlab"];

    /// <summary>The reporter for a format name.</summary>
    public static ILintReporter For(string format) => format switch
    {
        "json" => new JsonLintReporter(),
        "sarif" => new SarifLintReporter(),
        "github" => new GitHubLintReporter(),
        "gitlab" => new GitLabLintReporter(),
        "text" => new TextLintReporter(),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "one of: " + string.Join(", ", Formats)),
    };

    internal static string Path(string file) => file.Replace('\\', '/');
}
