using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stepwise.Planning;

/// <summary>
/// A plan as stored in the state schema: the plan's own fields plus <c>Format</c>, the version of this layout.
/// Format 1 (no <c>Format</c> field) is what Stepwise stored before steps carried their <see cref="Step.Done"/> check;
/// it still loads (the executor derives the check from the step's SQL). A newer format is refused, not guessed at.
/// </summary>
public static class PlanJson
{
    /// <summary>The format this version writes.</summary>
    public const int CurrentFormat = 2;

    private static readonly JsonSerializerOptions s_options = new() { WriteIndented = false };

    /// <summary>The plan as stored.</summary>
    public static string Write(Plan plan)
    {
        var node = JsonSerializer.SerializeToNode(plan, s_options)!.AsObject();
        node.Insert(0, "Format", CurrentFormat);
        return node.ToJsonString(s_options);
    }

    /// <summary>Reads a stored plan of any format this version knows.</summary>
    /// <exception cref="FormatException">The plan was written by a newer Stepwise.</exception>
    public static Plan Read(string json)
    {
        using var document = JsonDocument.Parse(json);
        var format = document.RootElement.TryGetProperty("Format", out var f) ? f.GetInt32() : 1;
        if (format > CurrentFormat)
        {
            throw new FormatException($"the stored plan has format {format}, written by a newer Stepwise (this one reads up to {CurrentFormat}); upgrade Stepwise");
        }
        return document.RootElement.Deserialize<Plan>(s_options)!;
    }

    /// <summary>Reads steps stored on their own (a plan's kept clean-up).</summary>
    public static List<Step> ReadSteps(string json) => JsonSerializer.Deserialize<List<Step>>(json, s_options)!;
}
