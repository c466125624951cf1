using System.Globalization;
using System.Text.RegularExpressions;

namespace Stepwise.Migrations;

/// <summary>
/// The comment directives of a migration file: section markers (<c>-- stepwise:up</c>,
/// <c>-- stepwise:down</c>, dbmate's <c>-- migrate:up</c>/<c>-- migrate:down</c>) and settings
/// (<c>no-transaction</c>, <c>lock-timeout</c>, <c>statement-timeout</c>, <c>assert</c>).
/// </summary>
internal static partial class Directives
{
    internal enum Kind
    {
        Up,
        Down,
        NoTransaction,
        LockTimeout,
        StatementTimeout,
        Assert,
    }

    internal sealed record Directive(Kind Kind, int Offset, string Text, TimeSpan? Duration = null, string? Name = null, bool NoTransaction = false);

    internal static readonly string[] Known =
        ["stepwise:up", "stepwise:down", "stepwise:no-transaction", "stepwise:lock-timeout <duration>", "stepwise:statement-timeout <duration>", "stepwise:assert <name>", "migrate:up", "migrate:down"];

    /// <summary>Reads one comment; null when it is an ordinary comment, an error message when it is a bad directive.</summary>
    internal static (Directive? Directive, string? Error) Read(string comment, int offset)
    {
        var match = DirectiveLine().Match(comment);
        if (!match.Success)
        {
            return (null, null);
        }
        var prefix = match.Groups["prefix"].Value.ToLowerInvariant();
        var name = match.Groups["name"].Value.ToLowerInvariant();
        var argument = match.Groups["arg"].Value.Trim();
        var text = comment.Trim();
        switch (prefix, name)
        {
            case (_, "up"):
            case (_, "down"):
                var noTransaction = false;
                foreach (var option in argument.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    // dbmate's marker option; Stepwise reads it so dbmate directories work unchanged.
                    if (option is "transaction:false")
                    {
                        noTransaction = true;
                    }
                    else if (option is not "transaction:true")
                    {
                        return (null, $"unknown option '{option}' on the {name} marker (known: transaction:false)");
                    }
                }
                return (new Directive(name == "up" ? Kind.Up : Kind.Down, offset, text, NoTransaction: noTransaction), null);
            case ("stepwise", "ignore" or "ignore-file"):
                return (null, null); // the linter's; an ordinary comment to the migration reader
            case ("stepwise", "no-transaction") when argument.Length == 0:
                return (new Directive(Kind.NoTransaction, offset, text), null);
            case ("stepwise", "lock-timeout" or "statement-timeout"):
                if (!TryParseDuration(argument, out var duration))
                {
                    return (null, $"'{argument}' is not a duration for {name}: write e.g. 500ms, 5s, 10min, 1h, or 0 for none");
                }
                return (new Directive(name == "lock-timeout" ? Kind.LockTimeout : Kind.StatementTimeout, offset, text, Duration: duration), null);
            case ("stepwise", "assert"):
                if (!AssertionName().IsMatch(argument))
                {
                    return (null, "an assertion needs a name: -- stepwise:assert <name> (letters, digits, _ . -), then the query on the next lines");
                }
                return (new Directive(Kind.Assert, offset, text, Name: argument), null);
            default:
                return (null, $"unknown directive '{prefix}:{name}{(argument.Length > 0 ? " " + argument : "")}'; known: {string.Join(", ", Known)}");
        }
    }

    internal static bool TryParseDuration(string text, out TimeSpan duration) => DurationText.TryParse(text, out duration);

    [GeneratedRegex(@"^[A-Za-z0-9_.-]+$")]
    private static partial Regex AssertionName();

    [GeneratedRegex(@"^--\s*(?<prefix>stepwise|migrate):(?<name>[A-Za-z-]*)(?<arg>.*)$", RegexOptions.IgnoreCase)]
    private static partial Regex DirectiveLine();
}

/// <summary>Durations written the way PostgreSQL settings are: <c>250ms</c>, <c>5s</c>, <c>10min</c>, <c>2h</c>, <c>1d</c>, or a bare number of milliseconds.</summary>
public static partial class DurationText
{
    /// <summary>Reads a duration; false when the text is not one (or exceeds PostgreSQL's int milliseconds).</summary>
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        var match = Pattern().Match(text);
        if (!match.Success || !long.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }
        var unit = match.Groups["unit"].Value.ToLowerInvariant();
        double ms = unit switch
        {
            "" or "ms" => n,
            "s" => n * 1000.0,
            "min" => n * 60_000.0,
            "h" => n * 3_600_000.0,
            "d" => n * 86_400_000.0,
            _ => -1,
        };
        if (ms < 0 || ms > int.MaxValue)
        {
            return false; // PostgreSQL's timeouts are int milliseconds
        }
        duration = TimeSpan.FromMilliseconds(ms);
        return true;
    }

    [GeneratedRegex(@"^\s*(?<n>\d+)\s*(?<unit>ms|s|min|h|d)?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();
}
