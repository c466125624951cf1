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
        foreach (var problem in problems)
        {
            output.Error(problem.ToString());
        }
    }

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
