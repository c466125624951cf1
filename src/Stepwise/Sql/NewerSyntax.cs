using System.Text.RegularExpressions;

namespace Stepwise.Sql;

/// <summary>
/// What to say when PostgreSQL 15's parser (the one Stepwise reads SQL with) refuses syntax that a later PostgreSQL
/// accepts: a project written for PostgreSQL 16 or 18 (lemmy's Diesel migrations) otherwise reads as having typos.
/// </summary>
internal static partial class NewerSyntax
{
    /// <summary>The hint for the error <paramref name="message"/> at <paramref name="offset"/> of <paramref name="text"/>, or null.</summary>
    public static string? Hint(string text, int offset, string message)
    {
        if (message == "subquery in FROM must have an alias")
        {
            return "PostgreSQL 16 and later take a subquery in FROM without an alias; Stepwise reads SQL with PostgreSQL 15's parser: give it one (FROM (...) AS s)";
        }
        if (!message.StartsWith("syntax error at or near", StringComparison.Ordinal) || offset > text.Length)
        {
            return null;
        }
        var before = text[Math.Max(0, offset - 200)..offset];
        var at = text[offset..Math.Min(text.Length, offset + 20)];
        if (at.StartsWith("NOT", StringComparison.OrdinalIgnoreCase) && NamedConstraintBefore().IsMatch(before))
        {
            return "PostgreSQL 18 names NOT NULL constraints (CONSTRAINT name NOT NULL column); Stepwise reads SQL with PostgreSQL 15's parser: write the column NOT NULL, or ALTER TABLE ... ALTER COLUMN ... SET NOT NULL";
        }
        if (at.StartsWith("VIRTUAL", StringComparison.OrdinalIgnoreCase))
        {
            return "virtual generated columns are PostgreSQL 18's; Stepwise reads SQL with PostgreSQL 15's parser, which knows only STORED ones";
        }
        return null;
    }

    [GeneratedRegex(@"\bCONSTRAINT\s+(""[^""]+""|\w+)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex NamedConstraintBefore();
}
