using System.CommandLine;
using Stepwise.Connections;
using Stepwise.Execution;

namespace Stepwise.Cli.Commands;

/// <summary>
/// <c>--dev-url</c> (or <c>STEPWISE_DEV_URL</c>): a PostgreSQL server to replay migrations on instead of a
/// throwaway one started for the command; each run creates its own database there and drops it after.
/// </summary>
internal sealed class DevUrlOption
{
    public Option<string?> Option { get; } = new("--dev-url")
    {
        Description = "Replay on this server (a new database is created from template0 and dropped after; the role needs CREATEDB) instead of starting a throwaway PostgreSQL; or STEPWISE_DEV_URL",
    };

    /// <summary>The URL given, with its password registered for scrubbing; null to start a TempPostgres.</summary>
    public string? Resolve(CliContext context, ParseResult parse)
    {
        var value = parse.GetValue(Option) ?? context.Environment.Variable("STEPWISE_DEV_URL");
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        context.Output.AddSecretsOf(value);
        try
        {
            context.Output.AddSecret(DatabaseTarget.Parse(value).Password);
        }
        catch (FormatException ex)
        {
            throw new CliException(ExitCodes.BadInput, $"--dev-url: {ex.Message}");
        }
        return value;
    }

    /// <summary>Where the replay happens, for the progress line.</summary>
    public static string Where(string? devUrl) => devUrl is null ? "a throwaway PostgreSQL" : "a scratch database on the dev server";
}
