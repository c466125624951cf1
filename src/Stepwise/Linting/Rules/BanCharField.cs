namespace Stepwise.Linting.Rules;

/// <summary>char(n) pads with spaces and is no faster than text.</summary>
public sealed class BanCharField : LintRule
{
    /// <inheritdoc />
    public override string Id => "ban-char-field";

    /// <inheritdoc />
    public override string Title => "Do not use char(n)";

    /// <inheritdoc />
    public override string Why =>
        "character(n) (char(n), and char alone, which means char(1)) pads every value with spaces to n characters and stores the padding. "
        + "Trailing spaces do not count when two char values are compared and are dropped when a value is cast to text, yet they count in LIKE and "
        + "regular expressions, which surprises callers; a longer value is an error. It is not faster than text or varchar in PostgreSQL, and changing n later rewrites the table under ACCESS EXCLUSIVE.";

    /// <inheritdoc />
    public override string Fix => "Declare the column text (with a CHECK on char_length when the length must be fixed).";

    /// <inheritdoc />
    public override string FixExample => "ALTER TABLE accounts ADD COLUMN country_code text CHECK (char_length(country_code) = 2);";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        foreach (var column in ColumnDeclarations.In(statement.Tree))
        {
            // bpchar is char(n); "char" (quoted) is a different, one-byte internal type and is left alone.
            if (column.BuiltInType == "bpchar")
            {
                context.Report(statement,
                    $"{column}: values are padded with spaces to the full length, and it is no faster than text — use text with a CHECK on char_length",
                    column.Table);
            }
        }
    }
}
