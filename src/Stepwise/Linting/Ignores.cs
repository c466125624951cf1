using System.Text.RegularExpressions;
using Stepwise.Sql;

namespace Stepwise.Linting;

/// <summary>
/// Inline ignores: <c>-- stepwise:ignore rule-id[, rule-id] -- reason</c> on the lines before a
/// statement, and <c>-- stepwise:ignore-file rule-id</c> anywhere. An unknown rule id is reported
/// (a typo must not silently ignore nothing), and so is an ignore without a reason (a warning).
/// </summary>
internal sealed partial class Ignores
{
    private readonly HashSet<string> _file = new(StringComparer.Ordinal);
    private readonly List<(int Line, HashSet<string> Rules)> _statement = [];
    private readonly int[] _statementLines;

    private Ignores(int[] statementLines) => _statementLines = statementLines;

    public static Ignores Read(SourceText source, IReadOnlyList<LintRule> rules, List<LintFinding> findings)
    {
        // Most files have no ignore at all: then nothing below (a scan of the whole text, a line for every code segment) is needed.
        if (!source.Text.Contains(Marker, StringComparison.Ordinal))
        {
            return new Ignores([]);
        }
        var known = Linter.AllRules.Select(r => r.Id).Concat(rules.Select(r => r.Id)).ToHashSet(StringComparer.Ordinal);
        var text = source.Text;
        var statementStarts = new List<int>();
        var ignores = new List<(int Offset, Match Match)>();
        SqlLexer.Scan(text, 0, text.Length, (kind, from, to) =>
        {
            if (kind == SqlLexer.Segment.Comment)
            {
                var match = IgnoreComment().Match(text[from..to]);
                if (match.Success)
                {
                    ignores.Add((from, match));
                }
            }
            else if (kind is SqlLexer.Segment.Code or SqlLexer.Segment.Quoted)
            {
                statementStarts.Add(from);
            }
            return true;
        });

        var result = new Ignores([.. statementStarts.Select(o => source.LineColumn(o).Line).Distinct().Order()]);
        foreach (var (offset, match) in ignores)
        {
            var (line, column) = source.LineColumn(offset);
            var ids = match.Groups["ids"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
            void Problem(LintSeverity severity, string message) => findings.Add(new LintFinding
            {
                RuleId = Linter.BadIgnoreId, Severity = severity, File = source.FileName, Line = line, Column = column, EndLine = line,
                Message = message, Excerpt = source.Excerpt(line, column),
                Fix = "write -- stepwise:ignore rule-id[, rule-id] -- why it is safe here",
            });
            foreach (var unknown in ids.Where(id => !known.Contains(id)))
            {
                Problem(LintSeverity.Error, $"unknown rule '{unknown}' in {match.Groups["kind"].Value}; run stepwise lint --list-rules for the ids");
            }
            if (ids.Count == 0)
            {
                Problem(LintSeverity.Error, $"{match.Groups["kind"].Value} names no rule");
            }
            if (string.IsNullOrWhiteSpace(match.Groups["reason"].Value))
            {
                Problem(LintSeverity.Warning, $"{match.Groups["kind"].Value} without a reason: say why it is safe (-- reason) so reviewers can check it");
            }
            if (match.Groups["kind"].Value.EndsWith("-file", StringComparison.Ordinal))
            {
                result._file.UnionWith(ids);
            }
            else
            {
                result._statement.Add((line, ids));
            }
        }
        return result;
    }

    /// <summary>True when <paramref name="ruleId"/> is ignored for the statement starting on <paramref name="line"/>.</summary>
    public bool Covers(string ruleId, int line)
    {
        if (_file.Contains(ruleId))
        {
            return true;
        }
        foreach (var (ignoreLine, rules) in _statement)
        {
            // An ignore covers the first statement that starts after it.
            if (ignoreLine < line && rules.Contains(ruleId) && !_statementLines.Any(l => l > ignoreLine && l < line))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>What every ignore comment holds (<see cref="IgnoreComment"/>).</summary>
    private const string Marker = "stepwise:ignore";

    [GeneratedRegex(@"^--\s*(?<kind>stepwise:ignore(?:-file)?)\b(?<ids>[^-]*(?:-(?!-)[^-]*)*)(?:--(?<reason>.*))?$")]
    private static partial Regex IgnoreComment();
}
