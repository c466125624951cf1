using System.Text.Json.Serialization;
using Stepwise.Sql;

namespace Stepwise.Planning;

/// <summary>What a step outside a transaction leaves behind, so a resumed run can tell it already happened.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DoneCheckKind>))]
public enum DoneCheckKind
{
    /// <summary><c>CREATE INDEX CONCURRENTLY</c>: done when the index exists and is valid; an INVALID one is a leftover to drop first.</summary>
    IndexBuilt,

    /// <summary><c>DROP INDEX CONCURRENTLY</c>: done when the index is gone.</summary>
    IndexDropped,
}

/// <summary>
/// How to tell a step that runs outside a transaction already happened (it has no progress record in its own
/// transaction, so a crash may come between its effect and its record). Part of the step's data, so a resume
/// asks the catalog instead of parsing the step's SQL again.
/// </summary>
/// <param name="Kind">What to look for.</param>
/// <param name="Index">The index, quoted and qualified as the statement names it (<c>"public"."t_a_idx"</c>).</param>
/// <param name="IfNotExists">The statement says IF NOT EXISTS (so running it again is harmless).</param>
public sealed record DoneCheck(DoneCheckKind Kind, string Index, bool IfNotExists = false)
{
    /// <summary>The check a statement implies, or null when it needs none (it runs in a transaction, or re-running it is harmless).</summary>
    public static DoneCheck? For(StatementTree? tree)
    {
        if (tree?.Index is { Concurrent: true, Name: { } name } index)
        {
            return new DoneCheck(DoneCheckKind.IndexBuilt, Quote.Ident(index.Table.Schema, name), index.IfNotExists);
        }
        if (tree?.Root is { Kind: "DropStmt" } drop && drop.Bool("concurrent") && !drop.Bool("missing_ok")
            && drop.String("removeType") == "OBJECT_INDEX" && drop.Nodes("objects").FirstOrDefault() is { Kind: "List" } dropped)
        {
            var parts = dropped.Names("items");
            return new DoneCheck(DoneCheckKind.IndexDropped, parts.Count == 2 ? Quote.Ident(parts[0], parts[1]) : Quote.Ident(parts[^1]));
        }
        return null;
    }
}
