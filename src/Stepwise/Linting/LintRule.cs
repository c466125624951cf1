using System.Globalization;
using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Linting;

/// <summary>How much a finding matters. <see cref="Off"/> turns a rule off in configuration.</summary>
public enum LintSeverity
{
    /// <summary>Not reported.</summary>
    Off,

    /// <summary>Worth knowing.</summary>
    Info,

    /// <summary>Likely a problem.</summary>
    Warning,

    /// <summary>Blocks the change (exit 1).</summary>
    Error,
}

/// <summary>The kind of per-row work done under a lock; each has its own measured cost.</summary>
public enum LockedWork
{
    /// <summary>Every row is written again (ALTER COLUMN TYPE, VACUUM FULL, a volatile default).</summary>
    Rewrite,

    /// <summary>Every row is read and sorted into an index.</summary>
    IndexBuild,

    /// <summary>Every row is read and checked (validating a constraint, SET NOT NULL).</summary>
    Scan,
}

/// <summary>
/// One lint rule: what it looks for in a statement's parse tree, what it says (naming the table and
/// the lock), and the safe way to write the statement. One rule, one file in <c>Linting/Rules/</c>;
/// rules are found by reflection, so adding the file is all it takes. A rule keeps no state: one
/// instance checks many files at once, on several threads; what it needs to remember is in the context.
/// </summary>
public abstract class LintRule
{
    /// <summary>The rule's id, kebab-case, as used in configuration and ignores.</summary>
    public abstract string Id { get; }

    /// <summary>A one-line title.</summary>
    public abstract string Title { get; }

    /// <summary>The severity when configuration says nothing.</summary>
    public virtual LintSeverity DefaultSeverity => LintSeverity.Warning;

    /// <summary>The lock the rule is about, if any (documentation and SARIF metadata).</summary>
    public virtual LockLevel? Lock => null;

    /// <summary>Why it matters, for the rules reference.</summary>
    public abstract string Why { get; }

    /// <summary>The safe alternative, in words.</summary>
    public abstract string Fix { get; }

    /// <summary>The safe alternative as a short SQL example (the rules reference; its names are made up).</summary>
    public abstract string FixExample { get; }

    /// <summary>
    /// The example printed under a finding on <paramref name="statement"/>: by default <see cref="FixExample"/> when it is
    /// about the statement's own table, otherwise none, so a finding never shows an example about some other table.
    /// Rules that can build the example from the statement override this.
    /// </summary>
    public virtual string? FixExampleFor(LintStatement statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var example = FixExample;
        foreach (var relation in statement.Tree.Relations)
        {
            if (NamesWord(example, relation.Name))
            {
                return example;
            }
        }
        return statement.Tree.Target is { } target && NamesWord(example, target.Name) ? example : null;
    }

    /// <summary>
    /// True when <paramref name="name"/> stands in <paramref name="text"/> as a name of its own: not part of a longer word, a
    /// qualified name's second part or a quoted name (what the regex <c>(?&lt;![\w."])name(?![\w"])</c> says). A scan,
    /// not a regex: the names differ in every finding, and building a regex for each cost more than the rest of the finding.
    /// </summary>
    internal static bool NamesWord(string text, string? name)
    {
        if (name is null)
        {
            return false;
        }
        for (var at = text.IndexOf(name, StringComparison.Ordinal); at >= 0; at = at + 1 <= text.Length - name.Length ? text.IndexOf(name, at + 1, StringComparison.Ordinal) : -1)
        {
            var end = at + name.Length;
            if ((at == 0 || !(IsWordChar(text[at - 1]) || text[at - 1] is '.' or '"')) && (end == text.Length || !(IsWordChar(text[end]) || text[end] == '"')))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A character of the regex class <c>\w</c>: letters, non-spacing marks, decimal digits, connector punctuation.</summary>
    private static bool IsWordChar(char c) => char.GetUnicodeCategory(c) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
        or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.NonSpacingMark
        or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation;

    /// <summary>
    /// True when the finding is about the size of a table (a scan or rewrite under a lock): with a
    /// database, a table below the size threshold drops the finding to info.
    /// </summary>
    public virtual bool ScalesWithTableSize => false;

    /// <summary>What the statement does to each row while it holds the lock, for the duration estimate.</summary>
    public virtual LockedWork Work => LockedWork.Rewrite;

    /// <summary>Looks at one statement and reports through <paramref name="context"/>.</summary>
    public abstract void Check(LintStatement statement, LintContext context);
}
