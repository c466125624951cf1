using System.Text;
using Stepwise.Sql;

namespace Stepwise.Linting.Rules;

/// <summary>Names over 63 bytes are cut short by PostgreSQL with only a NOTICE.</summary>
public sealed class IdentifierTooLong : LintRule
{
    // NAMEDATALEN - 1: the longest name PostgreSQL keeps, in bytes of the server encoding (UTF-8 assumed).
    private const int MaxBytes = 63;

    /// <inheritdoc />
    public override string Id => "identifier-too-long";

    /// <inheritdoc />
    public override string Title => "Keep names within 63 bytes";

    /// <inheritdoc />
    public override string Why =>
        "PostgreSQL keeps at most 63 bytes of a name (NAMEDATALEN - 1; a multi-byte character counts for two to four) and cuts longer ones "
        + "short, saying so only in a NOTICE nobody sees in a migration. The table, column, index or constraint is then created under a different "
        + "name than the migration says: statements that spell the long name as an identifier still find it (they are cut the same way), but code "
        + "and tools that compare names as strings — catalog queries, to_regclass('...'), ORMs, schema diffs — do not, and two long names that "
        + "agree in their first 63 bytes collide (\"already exists\").";

    /// <inheritdoc />
    public override string Fix => "Choose a shorter name, abbreviating the parts (index and constraint names are often table + columns + suffix).";

    /// <inheritdoc />
    public override string FixExample => "CREATE INDEX CONCURRENTLY wf_runs_org_created_idx ON workflow_runs (organization_id, created_at);";

    /// <inheritdoc />
    public override void Check(LintStatement statement, LintContext context)
    {
        var defined = DefinedNames(statement.Tree);
        // The tree holds names already cut to 63 bytes (fewer when a character would be split, at most 3 fewer):
        // only a name that long can have been longer.
        if (!defined.Any(d => Encoding.UTF8.GetByteCount(d.Item2) >= MaxBytes - 3))
        {
            return;
        }
        // The parser has already cut the names in the tree: the text says what was written.
        var written = LongIdentifiers(statement.Text);
        var problems = new List<string>();
        foreach (var (what, name) in defined)
        {
            var original = written.TryGetValue(name, out var longName) ? longName : Encoding.UTF8.GetByteCount(name) > MaxBytes ? name : null;
            if (original is not null)
            {
                problems.Add($"the {what} name \"{original}\" is {Encoding.UTF8.GetByteCount(original)} bytes, so PostgreSQL creates it as \"{Truncate(original)}\"");
            }
        }
        if (problems.Count > 0)
        {
            context.Report(statement, $"{string.Join("; ", problems)} (names are cut to {MaxBytes} bytes with only a NOTICE)");
        }
    }

    /// <summary>The names the statement gives to new tables, columns, indexes, constraints and renamed objects.</summary>
    private static List<(string What, string Name)> DefinedNames(StatementTree tree)
    {
        var root = tree.Root;
        var names = new List<(string, string?)>();
        switch (tree.Kind)
        {
            case "CreateStmt":
                names.Add(("table", tree.Target?.Name));
                names.AddRange(root.Nodes("tableElts").Where(e => e.Kind == "ColumnDef").Select(c => ("column", c.String("colname"))));
                break;
            case "AlterTableStmt":
                names.AddRange(tree.AlterTableCommands.Where(c => c.Subtype == "AT_AddColumn").Select(c => ("column", c.Definition.String("colname"))));
                break;
            case "IndexStmt":
                names.Add(("index", root.String("idxname")));
                break;
            case "CreateTableAsStmt":
                names.Add((root.String("objtype") == "OBJECT_MATVIEW" ? "materialized view" : "table", tree.Target?.Name));
                break;
            case "ViewStmt":
                names.Add(("view", tree.Target?.Name));
                break;
            case "CreateSeqStmt":
                names.Add(("sequence", root.Node("sequence", "RangeVar").String("relname")));
                break;
            case "RenameStmt":
                var what = root.String("renameType") switch
                {
                    "OBJECT_TABLE" => "new table",
                    "OBJECT_COLUMN" => "new column",
                    "OBJECT_INDEX" => "new index",
                    "OBJECT_TABCONSTRAINT" => "new constraint",
                    _ => "new",
                };
                names.Add((what, root.String("newname")));
                break;
        }
        if (tree.Kind is "CreateStmt" or "AlterTableStmt")
        {
            names.AddRange(tree.Constraints.Select(c => ("constraint", c.Name)));
        }
        return [.. names.Where(n => n.Item2 is not null).Select(n => (n.Item1, n.Item2!))];
    }

    /// <summary>Identifiers in <paramref name="sql"/> longer than PostgreSQL keeps, by the name PostgreSQL cuts them to.</summary>
    private static Dictionary<string, string> LongIdentifiers(string sql)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        SqlLexer.Scan(sql, 0, sql.Length, (kind, start, end) =>
        {
            if (kind == SqlLexer.Segment.Quoted && sql[start] == '"' && end - start >= 2 && sql[end - 1] == '"')
            {
                Add(sql[(start + 1)..(end - 1)].Replace("\"\"", "\"", StringComparison.Ordinal));
            }
            else if (kind == SqlLexer.Segment.Code)
            {
                for (var i = start; i < end;)
                {
                    var wordEnd = i;
                    while (wordEnd < end && SqlLexer.IsIdentChar(sql[wordEnd]))
                    {
                        wordEnd++;
                    }
                    // A word starting with a digit or $ is a number or a parameter; unquoted names fold to lower case (ASCII only).
                    if (wordEnd > i && !char.IsAsciiDigit(sql[i]) && sql[i] != '$')
                    {
                        Add(FoldCase(sql[i..wordEnd]));
                    }
                    i = Math.Max(wordEnd, i + 1);
                }
            }
            return true;
        });
        return found;

        void Add(string identifier)
        {
            if (Encoding.UTF8.GetByteCount(identifier) > MaxBytes)
            {
                found.TryAdd(Truncate(identifier), identifier);
            }
        }
    }

    private static string FoldCase(string word) => string.Create(word.Length, word, (span, w) =>
    {
        for (var i = 0; i < w.Length; i++)
        {
            span[i] = char.IsAsciiLetterUpper(w[i]) ? (char)(w[i] + 32) : w[i];
        }
    });

    /// <summary>The first 63 bytes, never splitting a character (PostgreSQL's pg_mbcliplen).</summary>
    private static string Truncate(string name)
    {
        var bytes = 0;
        var kept = new StringBuilder();
        foreach (var rune in name.EnumerateRunes())
        {
            bytes += rune.Utf8SequenceLength;
            if (bytes > MaxBytes)
            {
                break;
            }
            kept.Append(rune.ToString());
        }
        return kept.ToString();
    }
}
