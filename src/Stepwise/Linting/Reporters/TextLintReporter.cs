using System.Text;
using Stepwise.Sql;

namespace Stepwise.Linting.Reporters;

/// <summary>For people: file:line:col, rule, severity, message, the line with a caret, the fix (once per rule and file); then a summary.</summary>
public sealed class TextLintReporter : ILintReporter
{
    /// <inheritdoc />
    public void Write(LintReport report, TextWriter writer)
    {
        var fixShown = new HashSet<(string File, string Rule, string Fix)>();
        foreach (var f in report.Findings)
        {
            var sb = new StringBuilder()
                .Append(f.File).Append(':').Append(f.Line).Append(':').Append(f.Column).Append(": ")
                .Append(f.Severity.ToString().ToLowerInvariant()).Append(" [").Append(f.RuleId).Append("] ").Append(Printable.Escape(f.Message)).Append('\n');
            if (f.Excerpt is { } excerpt)
            {
                sb.Append(excerpt).Append('\n');
            }
            if (f.Fix is not null && !fixShown.Add((f.File, f.RuleId, f.Fix)))
            {
                sb.Append("    fix: as above\n"); // the same fix of the same rule, once per file: repeated findings stay small
            }
            else if (f.Fix is not null)
            {
                foreach (var line in f.Fix.Split('\n'))
                {
                    sb.Append("    fix: ").Append(Printable.Escape(line)).Append('\n');
                }
            }
            writer.Write(sb.Append('\n').ToString());
        }
        var counts = report.Findings.GroupBy(f => f.Severity).ToDictionary(g => g.Key, g => g.Count());
        writer.Write($"{report.Results.Count} file(s), {report.Statements} statement(s): " +
            $"{counts.GetValueOrDefault(LintSeverity.Error)} error(s), {counts.GetValueOrDefault(LintSeverity.Warning)} warning(s), {counts.GetValueOrDefault(LintSeverity.Info)} info\n");
    }
}
