using System.CommandLine;
using Stepwise.Execution;
using Stepwise.Migrations;

namespace Stepwise.Cli.Commands;

/// <summary>
/// How a command that contracts (<c>complete</c>, <c>apply --complete</c>) treats application instances of an older
/// schema version that are still alive: refuse (the default), wait for them (<c>--wait</c>), or go ahead (<c>--force</c>).
/// </summary>
internal sealed class GateOptions
{
    private readonly Option<bool> _force = new("--force") { Description = "Complete even while application instances of an older schema version are alive (they are named in a warning)" };
    private readonly Option<string?> _wait = new("--wait") { Description = "Wait up to this long (e.g. 10min) for instances of an older schema version to stop, with a progress line, instead of refusing at once" };

    public void AddTo(Command command)
    {
        command.Options.Add(_force);
        command.Options.Add(_wait);
    }

    public void Configure(ParseResult parse, MigratorOptions options)
    {
        options.Instances.Force = parse.GetValue(_force);
        options.Instances.Wait = parse.GetValue(_wait) is { } text
            ? DurationText.TryParse(text, out var duration) && duration > TimeSpan.Zero
                ? duration
                : throw new CliException(ExitCodes.BadInput, $"--wait '{text}' is not a duration above zero: write e.g. 30s, 10min")
            : null;
    }

    /// <summary>True when <c>--force</c> or <c>--wait</c> was given.</summary>
    public bool AnyGiven(ParseResult parse) => parse.GetValue(_force) || parse.GetValue(_wait) is not null;
}
