using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Linting;

/// <summary>
/// What a rule knows beyond the statement: the file, whether it is a Stepwise migration or plain SQL,
/// what the statements before this one did, the tables created earlier in the same file, and (with a database)
/// table sizes. Rules report findings through it.
/// </summary>
/// <remarks>
/// A long file is linted in windows and its trees are let go as the rules move on: of the statements before the current
/// one the context keeps only small facts (tables created, columns added and retyped, CHECK constraints, indexes and
/// constraints dropped IF EXISTS: see <see cref="Remembered{T}"/>), the statements of the transaction block still open,
/// and the statements of the few kinds in <see cref="LookBackKinds"/>.
/// </remarks>
public sealed class LintContext
{
    /// <summary>The parse-tree kinds <see cref="EarlierOfKind"/> answers for: statements rules look back at that are rare in any file.</summary>
    public static IReadOnlySet<string> LookBackKinds { get; } = new HashSet<string>(StringComparer.Ordinal) { "CreateSchemaStmt", "CreatedbStmt", "VariableSetStmt", "SelectStmt" };

    /// <summary>What is remembered of every statement as it is left behind, in this order (each fills a fact of <see cref="Remembered{T}"/>).</summary>
    private static readonly Action<LintStatement, LintContext>[] s_remember =
        [Rules.ColumnHistory.Remember, Rules.IndexTables.Remember, Rules.SettingNotNull.Remember, Rules.PreferRobustStatements.Remember];

    private readonly Dictionary<string, List<LintStatement>> _byKind = new(StringComparer.Ordinal);
    private List<LintStatement> _transaction = [];
    private int _transactionGroup = -1;
    private readonly HashSet<RelationName> _created = [];
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, object> _facts = [];
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

    /// <summary>Earlier statements of the given parse-tree kinds (of <see cref="LookBackKinds"/>), in order, embedded ones included.</summary>
    /// <exception cref="ArgumentException">A kind not in <see cref="LookBackKinds"/>: statements of other kinds are not kept.</exception>
    public IEnumerable<LintStatement> EarlierOfKind(params string[] kinds)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        IEnumerable<LintStatement> found = [];
        foreach (var kind in kinds)
        {
            if (!LookBackKinds.Contains(kind))
            {
                throw new ArgumentException($"earlier {kind} statements are not kept (only {string.Join(", ", LookBackKinds)}): remember the facts the rule needs instead", nameof(kinds));
            }
            if (_byKind.TryGetValue(kind, out var list))
            {
                found = found.Concat(list);
            }
        }
        return kinds.Length == 1 ? found : found.OrderBy(s => s.Index);
    }

    /// <summary>Earlier statements that run in the same transaction as <paramref name="statement"/> (none for an autocommit one).</summary>
    public IReadOnlyList<LintStatement> EarlierInTransaction(LintStatement statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        return statement.InTransaction && statement.TransactionGroup == _transactionGroup ? _transaction : [];
    }

    /// <summary>
    /// A fact about the statements before the current one, kept for the whole file: created empty on first use, filled as
    /// each statement is left behind (the rules' helpers do both), so that no earlier statement's tree need be kept.
    /// </summary>
    internal T Remembered<T>() where T : class, new()
    {
        if (!_facts.TryGetValue(typeof(T), out var fact))
        {
            _facts[typeof(T)] = fact = new T();
        }
        return (T)fact;
    }

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
        if (LookBackKinds.Contains(statement.Tree.Kind))
        {
            Append(_byKind, statement.Tree.Kind, statement);
        }
        if (statement.InTransaction)
        {
            // Transaction groups only grow in file order: a statement of a new one never looks back at an older one.
            if (statement.TransactionGroup != _transactionGroup)
            {
                _transaction = [];
                _transactionGroup = statement.TransactionGroup;
            }
            _transaction.Add(statement);
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
        foreach (var remember in s_remember)
        {
            remember(statement, this);
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
