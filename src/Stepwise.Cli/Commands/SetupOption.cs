using System.CommandLine;
using Stepwise.Catalog;
using Stepwise.Cli.Rendering;
using Stepwise.Execution;
using Stepwise.Verification;

namespace Stepwise.Cli.Commands;

/// <summary>
/// <c>--setup FILE</c> (or <c>"setup"</c> in stepwise.json): SQL that prepares the throwaway database before a
/// directory is replayed on it (verify, drift, diff), for histories that assume something they do not create.
/// </summary>
internal sealed class SetupOption
{
    /// <summary>What to do when a replay fails, said by every command that replays.</summary>
    public const string Advice = "if the history assumes something it does not create (a schema, an extension, tables made before its first migration, " +
        "another tool's history table), put the SQL that prepares it in a file and pass --setup FILE (or \"setup\" in stepwise.json; " +
        "stepwise inspect --format sql writes a database's schema as SQL); otherwise fix the migration";

    public Option<string?> Option { get; } = new("--setup")
    {
        Description = "SQL file run on the empty throwaway database before the first migration (a schema or extension the history assumes, another tool's history table); or \"setup\" in stepwise.json",
        HelpName = "FILE",
    };

    /// <summary>The setup given by option (relative to the working directory) or configuration (relative to the file); null for none.</summary>
    public ReplaySetup? Resolve(CliContext context, ParseResult parse)
    {
        var (given, relativeTo) = parse.GetValue(Option) is { } option
            ? (option, context.Environment.WorkingDirectory)
            : (context.Config?.Setup, context.Config is { } config ? Path.GetDirectoryName(config.Path)! : null);
        if (given is null)
        {
            return null;
        }
        var path = Path.GetFullPath(given, relativeTo!);
        return ReplaySetup.Load(path, Path.GetRelativePath(context.Environment.WorkingDirectory, path));
    }

    /// <summary>
    /// The schema <paramref name="directory"/> builds (up to <paramref name="toVersion"/>); a migration that does not replay is
    /// bad input (exit 2) named as a failed replay — not as a failed apply of the user's database, whose advice would mislead.
    /// </summary>
    public async Task<SchemaModel> ReplayAsync(CliContext context, ParseResult parse, string directory, long? toVersion, string? devUrl, string command,
        CancellationToken cancellationToken)
    {
        var setup = Resolve(context, parse);
        try
        {
            return await DirectoryReplay.ModelAsync(directory, toVersion, context.StateSchema, new OutputLogger(context.Output), devUrl: devUrl, setup: setup,
                cancellationToken: cancellationToken);
        }
        catch (MigrationRefusedException ex) when (ex.Problems.Count > 0 && ex.Problems.All(p => p.Code == "cannot-plan"))
        {
            // An operation migration the throwaway database's schema does not allow (a table it expects is missing): the
            // planner's message speaks of "this database", which here is the throwaway one.
            throw new MigrationRefusedException(
                $"the replay of {Path.GetRelativePath(context.Environment.WorkingDirectory, directory)} on the throwaway database failed, so {command} compared nothing: " +
                $"{Path.GetFileName(ex.Problems[0].File)} cannot be planned there; {Advice}. Nothing of yours was changed.", ex.Problems);
        }
        catch (MigrationFailedException ex)
        {
            var file = Path.GetRelativePath(context.Environment.WorkingDirectory, ex.File);
            throw new CliException(ExitCodes.BadInput,
                $"the replay of {Path.GetRelativePath(context.Environment.WorkingDirectory, directory)} on the throwaway database failed, so {command} compared nothing: " +
                $"{file}:{ex.Line}:{ex.Column}: {ex.Message}{(ex.SqlState is null ? "" : $" ({ex.SqlState})")}\n{Advice}. Nothing of yours was changed.");
        }
    }
}
