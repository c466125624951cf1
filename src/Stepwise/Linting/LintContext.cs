using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Linting;

/// <summary>
/// What a rule knows beyond the statement: the file, whether it is a Stepwise migration or plain SQL,
/// the statements before this one, the tables created earlier in the same file, and (with a database)
/// table sizes. Rules report findings through it.
/// </summary>
public sealed class LintContext
{
    private readonly List<LintStatement> _earlier = [];
    private readonly Dictionary<string, List<LintStatement>> _byKind = new(StringComparer.Ordinal);
    private readonly Dictionary<RelationName, List<LintStatement>> _byTarget = [];
    private readonly Dictionary<int, List<LintStatement>> _byTransaction = [];
    private readonly HashSet<RelationName> _created = [];
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private readonly LintOptions _options;
    private readonly Action<LintRule, LintStatement, string, (RelationName Table, TableSize Size)?, LintSeverity?> _report;

    internal LintContext(string file, bool plainSql, LintOptions options, Action<LintRule, LintStatement, string, (RelationName Table, TableSize Size)?, LintSeverity?> report)
    {
        File = file;
        PlainSql = plainSql;
        _options = options;
        _report = report;
    }

    /// <summary>The file being linted.</summary>
    public string File { get; }

    /// <summary>True for plain SQL files; false for Stepwise migrations (whose executor sets lock_timeout and manages transactions).</summary>
    public bool PlainSql { get; }

    /// <summary>The PostgreSQL major version targeted.</summary>
    public int PostgresVersion => _options.PostgresVersion;

    /// <summary>The statements before the current one, in order (embedded ones included).</summary>
    public IReadOnlyList<LintStatement> Earlier => _earlier;

    /// <summary>Earlier statements of the given parse-tree kinds, in order: look-backs stay cheap in long files.</summary>
    public IEnumerable<LintStatement> EarlierOfKind(params string[] kinds)
    {
        IEnumerable<LintStatement> found = [];
        foreach (var kind in kinds)
        {
            if (_byKind.TryGetValue(kind, out var list))
            {
                found = found.Concat(list);
            }
        }
        return kinds.Length == 1 ? found : found.OrderBy(s => s.Index);
    }

    /// <summary>Earlier statements whose target is <paramref name="relation"/> (ALTER TABLE, CREATE INDEX, UPDATE, ...), in order.</summary>
    public IReadOnlyList<LintStatement> EarlierOn(RelationName relation) =>
        _byTarget.TryGetValue(Normalize(relation), out var list) ? list : [];

    /// <summary>Earlier statements that run in the same transaction as <paramref name="statement"/> (none for an autocommit one).</summary>
    public IReadOnlyList<LintStatement> EarlierInTransaction(LintStatement statement) =>
        statement.InTransaction && _byTransaction.TryGetValue(statement.TransactionGroup, out var list) ? list : [];

    /// <summary>The rule being run (set by the linter).</summary>
    internal LintRule? CurrentRule { get; set; }

    /// <summary>
    /// True when <paramref name="relation"/> (a table, materialized view or view) was created earlier in this file: locking a table nobody
    /// else can see yet blocks no one, so lock rules leave it alone.
    /// </summary>
    public bool IsCreatedInFile(RelationName relation) => _created.Contains(Normalize(relation));

    /// <summary>The locks <paramref name="tree"/> takes; with a database, also on the tables its foreign keys reference where it drops, rebuilds or validates one.</summary>
    public IReadOnlyList<TableLock> LocksOf(StatementTree tree) => StatementLocks.For(tree, _options.ForeignKeys);

    /// <summary>True when linting with a database's foreign keys (<see cref="LocksOf"/> then names referenced tables).</summary>
    public bool HasForeignKeys => _options.ForeignKeys is not null;

    /// <summary>The table's size, when linting with a database that has it.</summary>
    public TableSize? SizeOf(RelationName relation)
    {
        return _options.TableSizes is { } sizes && sizes.TryGetValue(Normalize(relation), out var size) ? size : null;
    }

    /// <summary>Reports a finding of the current rule on <paramref name="statement"/>.</summary>
    /// <param name="statement">Where.</param>
    /// <param name="message">What, naming the table and the lock.</param>
    /// <param name="table">The table it is about; with a database its size is added and a small one drops the finding to info.</param>
    /// <param name="severity">Overrides the rule's severity for this finding (configuration still wins).</param>
    public void Report(LintStatement statement, string message, RelationName? table = null, LintSeverity? severity = null)
    {
        var rule = CurrentRule ?? throw new InvalidOperationException("no rule is running");
        _reported.Add(rule.Id);
        _report(rule, statement, message, table is { } t && SizeOf(t) is { } size ? (t, size) : null, severity);
    }

    /// <summary>True when the current rule has already reported a finding in this file (for rules that speak once per file).</summary>
    public bool ReportedInFile => CurrentRule is { } rule && _reported.Contains(rule.Id);

    internal void Advance(LintStatement statement)
    {
        _earlier.Add(statement);
        Append(_byKind, statement.Tree.Kind, statement);
        if (statement.Tree.Target is { } target)
        {
            Append(_byTarget, Normalize(target), statement);
        }
        if (statement.InTransaction)
        {
            Append(_byTransaction, statement.TransactionGroup, statement);
        }
        var root = statement.Tree.Root;
        var created = root.Kind switch
        {
            "CreateStmt" => statement.Tree.Target,
            "CreateTableAsStmt" => statement.Tree.Target,
            "ViewStmt" when !root.Bool("replace") => statement.Tree.Target,
            _ => null,
        };
        if (created is { } relation)
        {
            _created.Add(Normalize(relation));
        }
    }

    private static void Append<TKey>(Dictionary<TKey, List<LintStatement>> index, TKey key, LintStatement statement) where TKey : notnull
    {
        if (!index.TryGetValue(key, out var list))
        {
            index[key] = list = [];
        }
        list.Add(statement);
    }

    /// <summary>An unqualified name means public (search_path is not known offline); the parser has already folded case.</summary>
    internal static RelationName Normalize(RelationName relation) => relation with { Schema = relation.Schema ?? "public" };
}
