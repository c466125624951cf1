using System.Text.RegularExpressions;

namespace Stepwise.Tests;

/// <summary>
/// The library's namespaces may only depend on each other along the arrows docs/design.md lists: a new arrow is
/// a design decision to write down there, not an accident. References are read from the source: <c>using
/// Stepwise.X</c>, and <c>Stepwise.X.</c> or <c>X.</c> qualified names (comments and string literals left out).
/// </summary>
public partial class ArchitectureTests
{
    private static readonly string Root = FindRoot();

    [Fact]
    public void Every_dependency_between_namespaces_is_listed_in_the_design()
    {
        var code = CodeArrows();
        var listed = ListedArrows();

        var unlisted = code.Where(a => !listed.Contains(a.Key)).Select(a => $"{a.Key.From} → {a.Key.To} ({string.Join(", ", a.Value.Take(3))})").ToList();
        var stale = listed.Where(a => !code.ContainsKey(a)).Select(a => $"{a.From} → {a.To}").ToList();

        Assert.True(unlisted.Count == 0, "arrows in src/Stepwise that docs/design.md does not list (list them, or remove the dependency): " + string.Join("; ", unlisted));
        Assert.True(stale.Count == 0, "arrows docs/design.md lists that the code no longer has (remove them from the list): " + string.Join("; ", stale));
    }

    [Fact]
    public void The_only_dependency_cycles_are_the_ones_the_design_names()
    {
        var cycles = Cycles(CodeArrows().Keys).Select(c => string.Join(" ↔ ", c.Order(StringComparer.Ordinal))).Order(StringComparer.Ordinal).ToList();
        var named = DesignLines("Dependency cycles").Order(StringComparer.Ordinal).ToList();

        Assert.Equal(named, cycles);
    }

    [Fact]
    public void A_qualified_reference_counts_as_an_arrow()
    {
        var found = References("namespace Stepwise.Catalog;\n// Execution.Ignored in a comment\nvar s = \"Planning.InAString\";\nvar t = Execution.DatabaseTarget.Parse(x);\nusing Stepwise.Sql;");

        Assert.Equal(["Execution", "Sql"], found.Order(StringComparer.Ordinal));
    }

    private static Dictionary<(string From, string To), List<string>> CodeArrows()
    {
        var arrows = new Dictionary<(string, string), List<string>>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, "src", "Stepwise"), "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")))
        {
            var text = File.ReadAllText(file);
            var from = Namespace().Match(text) is { Success: true } m ? m.Groups[1].Value : null;
            if (from is null)
            {
                continue;
            }
            foreach (var to in References(text).Where(to => to != from))
            {
                var key = (from, to);
                if (!arrows.TryGetValue(key, out var files))
                {
                    arrows[key] = files = [];
                }
                files.Add(Path.GetFileName(file));
            }
        }
        return arrows;
    }

    private static HashSet<string> References(string text)
    {
        var areas = Areas();
        var code = StringLiteral().Replace(LineComment().Replace(text, ""), "\"\"");
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in FullyQualified().Matches(code))
        {
            found.Add(m.Groups[1].Value);
        }
        foreach (Match m in Qualified().Matches(code))
        {
            found.Add(m.Groups[1].Value);
        }
        found.IntersectWith(areas);
        if (Namespace().Match(code) is { Success: true } own)
        {
            found.Remove(own.Groups[1].Value);
        }
        return found;
    }

    private static HashSet<string> Areas() =>
        [.. Directory.EnumerateDirectories(Path.Combine(Root, "src", "Stepwise")).Select(Path.GetFileName).OfType<string>().Where(d => d is not ("bin" or "obj"))];

    private static HashSet<(string From, string To)> ListedArrows()
    {
        var arrows = new HashSet<(string, string)>();
        foreach (var line in DesignLines("Dependency arrows"))
        {
            var parts = line.Split('→', 2, StringSplitOptions.TrimEntries);
            Assert.True(parts.Length == 2, $"docs/design.md: '{line}' is not 'From → To, To'");
            foreach (var to in parts[1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                arrows.Add((parts[0], to));
            }
        }
        return arrows;
    }

    /// <summary>The lines of the fenced block that follows the paragraph starting with <paramref name="heading"/>.</summary>
    private static List<string> DesignLines(string heading)
    {
        var lines = File.ReadAllLines(Path.Combine(Root, "docs", "design.md"));
        var at = Array.FindIndex(lines, l => l.StartsWith(heading, StringComparison.Ordinal));
        Assert.True(at >= 0, $"docs/design.md has no paragraph starting with '{heading}'");
        var open = Array.FindIndex(lines, at, l => l.StartsWith("```", StringComparison.Ordinal));
        var close = Array.FindIndex(lines, open + 1, l => l.StartsWith("```", StringComparison.Ordinal));
        return [.. lines[(open + 1)..close].Select(l => l.Trim()).Where(l => l.Length > 0)];
    }

    /// <summary>Groups of two or more namespaces that reach each other (strongly connected components).</summary>
    private static List<List<string>> Cycles(IEnumerable<(string From, string To)> arrows)
    {
        var next = arrows.GroupBy(a => a.From).ToDictionary(g => g.Key, g => g.Select(a => a.To).ToList());
        HashSet<string> Reach(string from)
        {
            var seen = new HashSet<string>();
            var stack = new Stack<string>([from]);
            while (stack.TryPop(out var n))
            {
                foreach (var to in next.GetValueOrDefault(n, []))
                {
                    if (seen.Add(to))
                    {
                        stack.Push(to);
                    }
                }
            }
            return seen;
        }
        var nodes = next.Keys.Concat(next.Values.SelectMany(v => v)).Distinct().ToList();
        var reach = nodes.ToDictionary(n => n, Reach);
        return [.. nodes.Select(n => nodes.Where(o => o == n || (reach[n].Contains(o) && reach[o].Contains(n))).Order(StringComparer.Ordinal).ToList())
            .Where(c => c.Count > 1).DistinctBy(c => string.Join(",", c))];
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Stepwise.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("the repository root (Stepwise.slnx) is not above the test's directory");
    }

    [GeneratedRegex(@"^namespace\s+Stepwise\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    [GeneratedRegex(@"\bStepwise\.(\w+)")]
    private static partial Regex FullyQualified();

    [GeneratedRegex(@"(?<![\w.])([A-Z]\w*)\.[A-Z]")]
    private static partial Regex Qualified();

    [GeneratedRegex(@"//.*")]
    private static partial Regex LineComment();

    [GeneratedRegex(@"""(?:[^""\\\n]|\\.)*""")]
    private static partial Regex StringLiteral();
}
