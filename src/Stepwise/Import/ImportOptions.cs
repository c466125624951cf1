namespace Stepwise.Import;

/// <summary>What an import may leave out or accept; every such choice is reported among the warnings of the result.</summary>
public sealed record ImportOptions
{
    /// <summary>goose: import the SQL migrations and list the Go ones as skipped, instead of refusing the import.</summary>
    public bool SkipGoMigrations { get; init; }

    /// <summary>Atlas: import although <c>atlas.sum</c> does not match the files (the mismatch is reported as a warning).</summary>
    public bool IgnoreAtlasSum { get; init; }
}
