using System.Text;
using System.Text.Json.Nodes;
using Stepwise.Diagnostics;
using Stepwise.Execution;
using Stepwise.Migrations;

namespace Stepwise.Cli.Rendering;

/// <summary>How refusals and failures are shown: every problem with its place, then what to do.</summary>
internal static class MigrationErrors
{
    public static void Report(Output output, MigrationRefusedException ex) => Report(output, ex.Message, ex.Problems);

    public static void Report(Output output, string message, IReadOnlyList<MigrationProblem> problems)
    {
        if (output.Format == OutputFormat.Json)
        {
            output.WriteJson(new JsonObject { ["error"] = message, ["problems"] = new JsonArray([.. problems.Select(Json)]) });
            return;
        }
        output.Error($"error: {message}");
        // A directory of another tool's layout can give the same problem for a thousand files: the first few of each
        // kind say what and where; JSON keeps every one.
        var shown = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var problem in problems)
        {
            shown[problem.Code] = shown.GetValueOrDefault(problem.Code) + 1;
            if (shown[problem.Code] <= SameKindShown)
            {
                output.Error(problem.ToString());
            }
        }
        foreach (var (code, count) in shown.Where(c => c.Value > SameKindShown))
        {
            output.Error($"... and {count - SameKindShown:N0} more {code} problem(s) like those above (--format json lists every one)");
        }
    }

    /// <summary>How many problems of one kind (code) text output shows.</summary>
    internal const int SameKindShown = 10;

    public static void Report(Output output, MigrationFailedException ex)
    {
        if (output.Format == OutputFormat.Json)
        {
            output.WriteJson(new JsonObject
            {
                ["error"] = ex.Message,
                ["file"] = ex.File,
                ["line"] = ex.Line,
                ["column"] = ex.Column,
                ["statement"] = ex.Statement,
                ["sqlState"] = ex.SqlState,
                ["detail"] = ex.Detail,
                ["hint"] = ex.Hint,
                ["next"] = ex.NextStep,
            });
            return;
        }
        var sb = new StringBuilder();
        sb.Append(ex.File).Append(':').Append(ex.Line).Append(':').Append(ex.Column).Append(": error: ").Append(ex.Message).Append('\n');
        if (ex.Statement is not null)
        {
            // Each line bounded and printable, as every echo of source text (a one-line statement can be megabytes).
            foreach (var line in ex.Statement.Split('\n').Take(8))
            {
                sb.Append("    ").Append(Stepwise.Sql.SourceExcerpt.Of(line, 1).Text).Append('\n');
            }
        }
        if (ex.Detail is not null)
        {
            sb.Append("detail: ").Append(ex.Detail).Append('\n');
        }
        if (ex.Hint is not null)
        {
            sb.Append("hint: ").Append(ex.Hint).Append('\n');
        }
        output.Error(sb.ToString());
        output.Warning("next: " + ex.NextStep);
    }

    public static JsonObject Json(MigrationProblem p) => new()
    {
        ["severity"] = p.Severity.ToString().ToLowerInvariant(),
        ["code"] = p.Code,
        ["file"] = p.File,
        ["line"] = p.Line,
        ["column"] = p.Column,
        ["message"] = p.Message,
        ["hint"] = p.Hint,
    };
}
