using System.Text;
using Stepwise.Planning;

namespace Stepwise.Linting;

/// <summary>
/// docs/rules.md, generated from the rule classes so it cannot drift from them
/// (<c>stepwise lint --rules-markdown &gt; docs/rules.md</c>; a test fails when the file is stale).
/// </summary>
public static class RulesReference
{
    /// <summary>The rules reference as Markdown.</summary>
    public static string Markdown()
    {
        var sb = new StringBuilder();
        sb.Append("# Lint rules\n\n");
        sb.Append("Generated from the rule classes in `src/Stepwise/Linting/Rules/` by\n");
        sb.Append("`stepwise lint --rules-markdown > docs/rules.md`; a test fails when this file is out of date.\n\n");
        sb.Append("Configure severities in `stepwise.json` (`\"lint\": { \"rules\": { \"<id>\": \"off|info|warning|error\" } }`), or\n");
        sb.Append("ignore one statement with `-- stepwise:ignore <id> -- reason` on the line before it. Rules marked\n");
        sb.Append("*size-aware* drop to info for tables under the small-table threshold when linting with `-d`.\n\n");
        sb.Append("| rule | severity | lock | title |\n|---|---|---|---|\n");
        foreach (var rule in Linter.AllRules)
        {
            sb.Append($"| [{rule.Id}](#{rule.Id}) | {rule.DefaultSeverity.ToString().ToLowerInvariant()} | {rule.Lock?.ToSql() ?? ""} | {rule.Title} |\n");
        }
        sb.Append("| syntax-error | error | | The file does not parse (PostgreSQL's own parser) |\n");
        sb.Append("| bad-ignore | error/warning | | An ignore names an unknown rule, or gives no reason |\n");
        foreach (var rule in Linter.AllRules)
        {
            sb.Append($"\n## {rule.Id}\n\n");
            sb.Append($"**{rule.Title}.** Default severity: {rule.DefaultSeverity.ToString().ToLowerInvariant()}");
            if (rule.Lock is { } level)
            {
                sb.Append($"; about {level.ToSql()}, which {level.Blocks()}");
            }
            if (rule.ScalesWithTableSize)
            {
                sb.Append("; size-aware (").Append(rule.Work switch
                {
                    LockedWork.IndexBuild => "an index build",
                    LockedWork.Scan => "a scan",
                    _ => "a rewrite",
                }).Append(" under the lock)");
            }
            sb.Append(".\n\n").Append(rule.Why).Append("\n\n**Fix:** ").Append(rule.Fix).Append("\n\n```sql\n").Append(rule.FixExample).Append("\n```\n");
        }
        return sb.ToString();
    }
}
