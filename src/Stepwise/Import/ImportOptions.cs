namespace Stepwise.Import;

/// <summary>What an import may leave out or accept; every such choice is reported among the warnings of the result.</summary>
public sealed record ImportOptions
{
    /// <summary>
    /// Import the SQL migrations and list those that run code as skipped, instead of refusing the import: goose's Go
    /// migrations, and Prisma folders that hold code (a <c>migration.ts</c> a project's own runner runs) but no <c>migration.sql</c>.
    /// </summary>
    public bool SkipCodeMigrations { get; init; }

    /// <summary>Atlas: import although <c>atlas.sum</c> does not match the files (the mismatch is reported as a warning).</summary>
    public bool IgnoreAtlasSum { get; init; }

    /// <summary>
    /// DbUp: give every imported migration <c>-- stepwise:no-transaction</c> (each statement commits on its own), as DbUp runs
    /// scripts by default, instead of one transaction per migration (DbUp's <c>WithTransactionPerScript()</c>).
    /// </summary>
    public bool NoTransaction { get; init; }

    /// <summary>DbUp: read the subdirectories too, as DbUp does with <c>FileSystemScriptOptions.IncludeSubDirectories</c>.</summary>
    public bool IncludeSubdirectories { get; init; }
}
