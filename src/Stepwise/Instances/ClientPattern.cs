using System.Text.RegularExpressions;

namespace Stepwise.Instances;

/// <summary>
/// Declares application sessions that do not register themselves (pure SQL clients, other languages) by the
/// <c>application_name</c> they connect with, as seen in <c>pg_stat_activity</c>: <c>*</c> matches any text and
/// <c>{version}</c> the digits of the migration version the client was built for (<c>billing-{version}</c> matches
/// <c>billing-20261121091500</c>). A session matching a pattern without <c>{version}</c> has an unknown version, which
/// <c>complete</c> counts as older.
/// </summary>
public sealed class ClientPattern
{
    private readonly Regex _regex;

    private ClientPattern(string text, Regex regex)
    {
        Text = text;
        _regex = regex;
    }

    /// <summary>The pattern as written.</summary>
    public string Text { get; }

    /// <summary>Reads a pattern; a malformed one (empty, or <c>{version}</c> twice) is a <see cref="FormatException"/> saying why.</summary>
    public static ClientPattern Parse(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (pattern.Length == 0)
        {
            throw new FormatException("a client pattern cannot be empty; write an application_name such as billing-* or billing-{version}");
        }
        var parts = pattern.Split("{version}");
        if (parts.Length > 2)
        {
            throw new FormatException($"client pattern '{pattern}' has {{version}} more than once; one is enough");
        }
        static string Part(string text) => Regex.Escape(text).Replace("\\*", ".*", StringComparison.Ordinal);
        var body = parts.Length == 2 ? Part(parts[0]) + "(?<version>[0-9]+)" + Part(parts[1]) : Part(parts[0]);
        return new ClientPattern(pattern, new Regex("^" + body + "$", RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1)));
    }

    /// <summary>Whether a session named <paramref name="applicationName"/> matches, and the version it carries (null when the pattern has none).</summary>
    public bool Matches(string applicationName, out long? version)
    {
        version = null;
        var match = _regex.Match(applicationName);
        if (!match.Success)
        {
            return false;
        }
        if (match.Groups["version"] is { Success: true } digits && long.TryParse(digits.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
        {
            version = parsed;
        }
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Text;
}
