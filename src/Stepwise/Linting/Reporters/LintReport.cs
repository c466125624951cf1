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

/// <summary>
/// A reporter that writes each file's findings as soon as the file is linted (text, JSON): a run over many files then
/// holds the findings of the files in flight only. Start, every file in order, end: the same output as <see cref="ILintReporter.Write"/>.
/// </summary>
public interface IStreamingLintReporter : ILintReporter
{
    /// <summary>Writes what comes before the first file.</summary>
    void WriteStart(TextWriter writer);

    /// <summary>Writes one file's findings.</summary>
    void WriteFile(LintResult result, TextWriter writer);

    /// <summary>Writes what comes after the last file: the totals.</summary>
    void WriteEnd(LintTotals totals, TextWriter writer);
}

/// <summary>Counts over the files of a run, added up as they are reported.</summary>
public sealed class LintTotals
{
    /// <summary>A whole report through a streaming reporter: start, each file in order, the totals.</summary>
    internal static void WriteWhole(IStreamingLintReporter reporter, LintReport report, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(report);
        reporter.WriteStart(writer);
        foreach (var result in report.Results)
        {
            reporter.WriteFile(result, writer);
        }
        reporter.WriteEnd(Of(report.Results), writer);
    }

    /// <summary>Files.</summary>
    public int Files { get; private set; }

    /// <summary>Statements linted.</summary>
    public int Statements { get; private set; }

    /// <summary>Findings at error level (exit 1 when any).</summary>
    public int Errors { get; private set; }

    /// <summary>Findings at warning level.</summary>
    public int Warnings { get; private set; }

    /// <summary>Findings at info level.</summary>
    public int Infos { get; private set; }

    /// <summary>Adds one file.</summary>
    public void Add(LintResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        AddFile(result.Statements);
        AddFindings(result.Findings);
    }

    /// <summary>Adds one file's count of statements (its findings are added on their own, as they are written).</summary>
    internal void AddFile(int statements)
    {
        Files++;
        Statements += statements;
    }

    /// <summary>Adds findings.</summary>
    internal void AddFindings(IEnumerable<LintFinding> findings)
    {
        foreach (var finding in findings)
        {
            _ = finding.Severity switch
            {
                LintSeverity.Error => Errors++,
                LintSeverity.Warning => Warnings++,
                LintSeverity.Info => Infos++,
                _ => 0,
            };
        }
    }

    /// <summary>The totals of <paramref name="results"/>.</summary>
    public static LintTotals Of(IEnumerable<LintResult> results)
    {
        var totals = new LintTotals();
        foreach (var result in results)
        {
            totals.Add(result);
        }
        return totals;
    }
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
