using System.Text.RegularExpressions;
using Npgsql;

namespace Stepwise.Connections;

/// <summary>
/// Where to connect: an Npgsql connection string, a <c>postgres://user:pass@host:port/db?opt=v</c> URL, or libpq's
/// keyword/value form (<c>host=db port=5432 dbname=app user=app</c>, as psql, goose and dbmate take it), normalised to
/// a connection string. <see cref="ToString"/> never shows the password.
/// </summary>
public sealed partial class DatabaseTarget
{
    private DatabaseTarget(NpgsqlConnectionStringBuilder builder) => Builder = builder;

    /// <summary>The normalised settings (contains the password: never print it).</summary>
    internal NpgsqlConnectionStringBuilder Builder { get; }

    /// <summary>The Npgsql connection string, password included: for connecting only.</summary>
    public string ConnectionString => Builder.ConnectionString;

    /// <summary>The password, when one is set (so output can be scrubbed of it).</summary>
    public string? Password => string.IsNullOrEmpty(Builder.Password) ? null : Builder.Password;

    /// <summary>Parses a connection string or URL.</summary>
    /// <exception cref="FormatException">Neither form; the message says why without repeating the password.</exception>
    public static DatabaseTarget Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        value = value.Trim();
        if (value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return new DatabaseTarget(FromUrl(value));
        }
        if (KeywordValue(value) is { } pairs)
        {
            return new DatabaseTarget(FromKeywordValue(pairs, value));
        }
        try
        {
            return new DatabaseTarget(new NpgsqlConnectionStringBuilder(value));
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"not a PostgreSQL URL (postgres://user@host:5432/db) or an Npgsql connection string (Host=...;Database=...): {Redact(ex.Message)}", ex);
        }
    }

    private static NpgsqlConnectionStringBuilder FromUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw new FormatException($"malformed database URL {Redact(url)}: percent-encode reserved characters (@ : / ? # [ ] %) in the user name and password, e.g. @ as %40");
        }
        var builder = new NpgsqlConnectionStringBuilder();
        if (!string.IsNullOrEmpty(uri.Host))
        {
            builder.Host = uri.Host.Trim('[', ']');
        }
        if (uri.Port > 0)
        {
            builder.Port = uri.Port;
        }
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var val = kv.Length == 2 ? Uri.UnescapeDataString(kv[1].Replace('+', ' ')) : string.Empty;
            try
            {
                builder[UrlOptionName(key)] = val;
            }
            catch (ArgumentException)
            {
                throw new FormatException($"unknown option '{key}' in database URL {Redact(url)}");
            }
        }
        return builder;
    }

    /// <summary>
    /// libpq's keyword/value pairs (<c>host=db dbname='my app'</c>: separated by whitespace, a value single-quoted with
    /// <c>\'</c> and <c>\\</c> escapes when it holds spaces), or null when <paramref name="value"/> is not in that form: an
    /// Npgsql connection string separates its pairs with <c>;</c>, and its keywords may hold spaces.
    /// </summary>
    private static List<(string Key, string Value)>? KeywordValue(string value)
    {
        if (value.Contains(';', StringComparison.Ordinal))
        {
            return null;
        }
        var pairs = new List<(string, string)>();
        var i = 0;
        while (true)
        {
            while (i < value.Length && char.IsWhiteSpace(value[i]))
            {
                i++;
            }
            if (i == value.Length)
            {
                return pairs.Count == 0 ? null : pairs;
            }
            var keyStart = i;
            while (i < value.Length && (char.IsAsciiLetterOrDigit(value[i]) || value[i] == '_'))
            {
                i++;
            }
            var key = value[keyStart..i];
            while (i < value.Length && char.IsWhiteSpace(value[i]))
            {
                i++;
            }
            if (key.Length == 0 || i == value.Length || value[i] != '=')
            {
                return null;
            }
            i++;
            while (i < value.Length && char.IsWhiteSpace(value[i]))
            {
                i++;
            }
            var sb = new System.Text.StringBuilder();
            if (i < value.Length && value[i] == '\'')
            {
                for (i++; ; i++)
                {
                    if (i == value.Length)
                    {
                        return null; // unterminated quote
                    }
                    if (value[i] == '\\' && i + 1 < value.Length)
                    {
                        sb.Append(value[++i]);
                    }
                    else if (value[i] == '\'')
                    {
                        i++;
                        break;
                    }
                    else
                    {
                        sb.Append(value[i]);
                    }
                }
            }
            else
            {
                for (; i < value.Length && !char.IsWhiteSpace(value[i]); i++)
                {
                    if (value[i] == '\\' && i + 1 < value.Length)
                    {
                        i++;
                    }
                    sb.Append(value[i]);
                }
            }
            pairs.Add((key, sb.ToString()));
        }
    }

    private static NpgsqlConnectionStringBuilder FromKeywordValue(List<(string Key, string Value)> pairs, string value)
    {
        var builder = new NpgsqlConnectionStringBuilder();
        foreach (var (key, val) in pairs)
        {
            try
            {
                builder[UrlOptionName(key)] = val;
            }
            catch (ArgumentException)
            {
                throw new FormatException($"unknown keyword '{key}' in connection string {Redact(value)}: libpq's keywords are host, port, dbname, user, password, sslmode, ... (Npgsql's, separated by ;, work too)");
            }
        }
        return builder;
    }

    /// <summary>libpq parameters (in a URL's query or the keyword/value form) that Npgsql spells differently.</summary>
    private static string UrlOptionName(string key) => key.ToLowerInvariant() switch
    {
        "dbname" => "Database",
        "user" => "Username",
        "hostaddr" => "Host",
        "sslmode" => "SSL Mode",
        "application_name" => "Application Name",
        "connect_timeout" => "Timeout",
        "sslrootcert" => "Root Certificate",
        "sslcert" => "SSL Certificate",
        "sslkey" => "SSL Key",
        "options" => "Options",
        _ => key,
    };

    /// <summary>The connection string with the password replaced by <c>***</c>.</summary>
    public override string ToString()
    {
        var copy = new NpgsqlConnectionStringBuilder(Builder.ConnectionString);
        if (!string.IsNullOrEmpty(copy.Password))
        {
            copy.Password = "***";
        }
        return copy.ConnectionString;
    }

    /// <summary>
    /// Every text in <paramref name="value"/> (a URL or connection string, well-formed or not) that may be a
    /// password, as written and decoded: registered with an output before the value is parsed, so that not
    /// even an error about a malformed value can show part of one.
    /// </summary>
    public static IReadOnlyList<string> PasswordsIn(string? value)
    {
        var found = new List<string>();
        if (string.IsNullOrWhiteSpace(value))
        {
            return found;
        }
        void Add(string candidate)
        {
            if (candidate.Length > 0 && !found.Contains(candidate))
            {
                found.Add(candidate);
            }
        }
        foreach (Match url in UrlPassword().Matches(value))
        {
            var password = url.Groups["password"].Value;
            Add(password);
            Add(Uri.UnescapeDataString(password));
        }
        foreach (Match keyword in KeywordPassword().Matches(value))
        {
            var password = keyword.Groups["password"].Value;
            Add(password);
            Add(password.Trim('\'', '"'));
        }
        return found;
    }

    /// <summary>Hides passwords in any text that may hold a URL or connection string.</summary>
    public static string Redact(string text)
    {
        text = UrlPassword().Replace(text, "$1***@");
        return KeywordPassword().Replace(text, "$1***");
    }

    // The password runs to the last @ before the host: a password may hold unencoded @, : and / (a malformed URL).
    [GeneratedRegex(@"(postgres(?:ql)?://[^:/@\s]*:)(?<password>\S*)@", RegexOptions.IgnoreCase)]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"((?:password|pwd)\s*=\s*)(?<password>'[^']*'|""[^""]*""|[^;\s]*)", RegexOptions.IgnoreCase)]
    private static partial Regex KeywordPassword();
}
