using System.Globalization;

namespace Stepwise.Sql;

/// <summary>
/// Builds SQL text from names and values safely: identifiers are always double-quoted and literals
/// single-quoted, with embedded quotes doubled. Generated SQL uses nothing else to splice text in.
/// </summary>
public static class Quote
{
    /// <summary><c>"name"</c>, with embedded double quotes doubled.</summary>
    public static string Ident(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("an identifier cannot contain a NUL character", nameof(name));
        }
        return "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary><c>"schema"."name"</c>, or <c>"name"</c> when <paramref name="schema"/> is null.</summary>
    public static string Ident(string? schema, string name) => schema is null ? Ident(name) : Ident(schema) + "." + Ident(name);

    /// <summary><c>'text'</c>, with embedded single quotes doubled (standard_conforming_strings on).</summary>
    public static string Literal(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("a string literal cannot contain a NUL character", nameof(text));
        }
        return "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    /// <summary>A duration as a PostgreSQL setting value in milliseconds, e.g. <c>'2000ms'</c>.</summary>
    public static string Duration(TimeSpan duration) =>
        "'" + ((long)Math.Ceiling(duration.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms'";
}
