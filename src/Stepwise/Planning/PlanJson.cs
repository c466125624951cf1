using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

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

    /// <summary>The plan as stored.</summary>
    public static string Write(Plan plan)
    {
        var node = JsonSerializer.SerializeToNode(plan, PlanJsonContext.Default.Plan)!.AsObject();
        node.Insert(0, "Format", CurrentFormat);
        return node.ToJsonString();
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
        return document.RootElement.Deserialize(PlanJsonContext.Default.Plan)!;
    }

    /// <summary>Reads steps stored on their own (a plan's kept clean-up).</summary>
    public static List<Step> ReadSteps(string json) => JsonSerializer.Deserialize(json, PlanJsonContext.Default.ListStep)!;
}

/// <summary>The serializer for stored plans, generated at compile time (no reflection: trimming and Native AOT keep it whole).</summary>
[JsonSerializable(typeof(Plan))]
[JsonSerializable(typeof(List<Step>))]
internal sealed partial class PlanJsonContext : JsonSerializerContext;
