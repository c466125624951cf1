using System.Text;
using Stepwise.Sql;

namespace Stepwise.Linting.Reporters;

/// <summary>For people: file:line:col, rule, severity, message, the line with a caret, the fix (once per rule and file); then a summary.</summary>
public sealed class TextLintReporter : IStreamingLintReporter
{
    /// <inheritdoc />
    public void Write(LintReport report, TextWriter writer) => LintTotals.WriteWhole(this, report, writer);

    /// <inheritdoc />
    public void WriteStart(TextWriter writer)
    {
    }

    // The fixes already shown in the file being written (a long file's findings come in parts).
    private readonly HashSet<(string File, string Rule, string Fix)> _fixShown = [];

    /// <inheritdoc />
    public void WriteFile(LintResult result, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(writer);
        if (!result.Continues)
        {
            _fixShown.Clear();
        }
        foreach (var f in result.Findings)
        {
            var sb = new StringBuilder()
                .Append(f.File).Append(':').Append(f.Line).Append(':').Append(f.Column).Append(": ")
                .Append(f.Severity.ToString().ToLowerInvariant()).Append(" [").Append(f.RuleId).Append("] ").Append(Printable.Escape(f.Message)).Append('\n');
            if (f.Excerpt is { } excerpt)
            {
                sb.Append(excerpt).Append('\n');
            }
            if (f.Fix is not null && !_fixShown.Add((f.File, f.RuleId, f.Fix)))
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
    }

    /// <inheritdoc />
    public void WriteEnd(LintTotals totals, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(totals);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write($"{totals.Files} file(s), {totals.Statements} statement(s): {totals.Errors} error(s), {totals.Warnings} warning(s), {totals.Infos} info\n");
    }
}
