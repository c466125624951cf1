using Stepwise.Sql;

namespace Stepwise.Linting.Reporters;

/// <summary>GitHub Actions workflow commands: <c>::error file=...,line=...,col=...,title=...::message</c>, shown on the pull request.</summary>
public sealed class GitHubLintReporter : ILintReporter
{
    /// <inheritdoc />
    public void Write(LintReport report, TextWriter writer)
    {
        foreach (var f in report.Findings)
        {
            var command = f.Severity switch
            {
                LintSeverity.Error => "error",
                LintSeverity.Warning => "warning",
                _ => "notice",
            };
            var message = f.Fix is null ? f.Message : $"{f.Message}\nFix: {f.Fix}";
            writer.Write($"::{command} file={Property(LintReporters.Path(f.File))},line={f.Line},endLine={Math.Max(f.Line, f.EndLine)},col={f.Column},title={Property("stepwise " + f.RuleId)}::{Data(message)}\n");
        }
    }

    // GitHub's escaping: data escapes %, CR and LF; property values also escape : and ,.
    private static string Data(string value) => Printable.Escape(value).Replace("%", "%25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);

    private static string Property(string value) => Data(value).Replace(":", "%3A", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal);
}
