namespace Stepwise.Sql;

/// <summary>
/// The parse tree of one statement with typed accessors for what migrations care about: the kind of
/// statement, the relations it names, ALTER TABLE sub-commands, index options and constraints.
/// Anything else is reachable through <see cref="Root"/>.
/// </summary>
public sealed class StatementTree
{
    /// <summary>A tree read from the parser's output when the statement was parsed.</summary>
    internal StatementTree(SqlNode root) => Root = root;

    /// <summary>The statement node, e.g. kind <c>IndexStmt</c>.</summary>
    public SqlNode Root { get; }

    /// <summary>The node kind of the statement (<c>CreateStmt</c>, <c>AlterTableStmt</c>, ...).</summary>
    public string Kind => Root.Kind;

    // Rules ask the same questions of a tree many times: each answer is computed once.
    private string? _commandTag;
    private (RelationName? Value, bool Known) _target;
    private IReadOnlyList<RelationName>? _relations;
    private IReadOnlyList<AlterTableCommand>? _alterTableCommands;
    private IReadOnlyList<ConstraintDefinition>? _constraints;
    private bool? _endsTransactions;

    /// <summary>Computes the facts rules ask most (tag, target, relations, sub-commands, constraints) now,
    /// so that a thread other than the one that runs the rules can do it.</summary>
    internal void Prepare()
    {
        _ = CommandTag;
        _ = Target;
        _ = Relations;
        _ = AlterTableCommands;
        _ = Constraints;
    }

    /// <summary>A PostgreSQL-style command tag such as <c>CREATE INDEX</c> or <c>ALTER TABLE</c>.</summary>
    public string CommandTag => _commandTag ??= CommandTags.For(Root);

    /// <summary>The relation the statement acts on, when it has exactly one such target.</summary>
    public RelationName? Target
    {
        get
        {
            if (!_target.Known)
            {
                _target = (FindTarget(), true);
            }
            return _target.Value;
        }
    }

    private RelationName? FindTarget() => Root.Kind switch
    {
        "CreateTableAsStmt" => RelationOrNull(Root.Node("into", "IntoClause").Node("rel", "RangeVar")),
        "ViewStmt" => RelationOrNull(Root.Node("view", "RangeVar")),
        "CreatePolicyStmt" or "AlterPolicyStmt" => RelationOrNull(Root.Node("table", "RangeVar")),
        _ => RelationOrNull(Root.Node("relation", "RangeVar")),
    };

    /// <summary>Every relation named anywhere in the statement, in source order.</summary>
    public IReadOnlyList<RelationName> Relations => _relations ??= Root.Relations();

    /// <summary>For ALTER TABLE: its sub-commands, in order; empty otherwise.</summary>
    public IReadOnlyList<AlterTableCommand> AlterTableCommands =>
        _alterTableCommands ??= Root.Kind == "AlterTableStmt" ? [.. Root.Nodes("cmds").Select(c => new AlterTableCommand(c))] : [];

    /// <summary>For CREATE INDEX: its options; null otherwise.</summary>
    public IndexStatement? Index => Root.Kind == "IndexStmt" ? new IndexStatement(Root) : null;

    /// <summary>Every constraint defined by the statement (column and table constraints, ADD CONSTRAINT).</summary>
    public IReadOnlyList<ConstraintDefinition> Constraints =>
        _constraints ??= [.. Root.Descendants().Where(n => n.Kind == "Constraint").Select(n => new ConstraintDefinition(n))];

    /// <summary>The (unqualified) names of the functions the statement calls, anywhere in it.</summary>
    internal IReadOnlySet<string> FunctionsCalled => _functionsCalled ??=
        Root.Descendants().Where(n => n.Kind == "FuncCall").Select(n => n.Names("funcname")).Where(f => f.Count > 0).Select(f => f[^1]).ToHashSet(StringComparer.Ordinal) is { Count: > 0 } called
            ? called : s_noFunctions;

    private static readonly HashSet<string> s_noFunctions = [];
    private IReadOnlySet<string>? _functionsCalled;

    /// <summary>True for statements PostgreSQL refuses to run inside a transaction block.</summary>
    public bool CannotRunInTransaction => Root.Kind switch
    {
        "IndexStmt" => Root.Bool("concurrent"),
        "DropStmt" => Root.Bool("concurrent"),
        "ReindexStmt" => Root.Nodes("params").Any(p => p.String("defname") == "concurrently" && p.IsTrueOption),
        "AlterTableStmt" => AlterTableCommands.Any(c => c.Subtype == "AT_DetachPartition" && c.Definition.Bool("concurrent")),
        "VacuumStmt" => Root.Bool("is_vacuumcmd"),
        "CreatedbStmt" or "DropdbStmt" or "CreateTableSpaceStmt" or "DropTableSpaceStmt" or "AlterSystemStmt" => true,
        "AlterEnumStmt" => false, // allowed in a transaction since PostgreSQL 12 (the new value is unusable until commit)
        _ => false,
    };

    /// <summary>
    /// True for statements that end or start transactions themselves: <c>CALL</c> (a procedure may COMMIT or
    /// ROLLBACK) and a PL/pgSQL <c>DO</c> block whose body does (a batched backfill committing per batch).
    /// Inside a transaction block they fail (2D000: invalid transaction termination).
    /// </summary>
    public bool EndsTransactions => _endsTransactions ??= Root.Kind switch
    {
        "CallStmt" => true,
        "DoStmt" => PlpgsqlParser.DoBlockEndsTransactions(Root),
        _ => false,
    };

    /// <summary>
    /// For <c>BEGIN</c>, <c>COMMIT</c>, <c>ROLLBACK</c>, savepoints and the like, their kind (<c>TRANS_STMT_COMMIT</c>, ...);
    /// null for any other statement.
    /// </summary>
    public string? TransactionControl => Root.Kind == "TransactionStmt" ? Root.String("kind") ?? "TRANS_STMT_BEGIN" : null;

    /// <summary>True when the statement must run outside any transaction block: PostgreSQL refuses it in one
    /// (<see cref="CannotRunInTransaction"/>) or it commits by itself (<see cref="EndsTransactions"/>).</summary>
    public bool RunsOutsideTransaction => CannotRunInTransaction || EndsTransactions;

    private static RelationName? RelationOrNull(SqlNode rangeVar) =>
        rangeVar.IsMissing ? null : RelationName.FromRangeVar(rangeVar);
}

/// <summary>One sub-command of ALTER TABLE, e.g. <c>AT_AddColumn</c> or <c>AT_AddConstraint</c>.</summary>
public readonly struct AlterTableCommand
{
    internal AlterTableCommand(SqlNode node) => Node = node;

    /// <summary>The <c>AlterTableCmd</c> node.</summary>
    public SqlNode Node { get; }

    /// <summary>PostgreSQL's sub-command type name, e.g. <c>AT_SetNotNull</c>.</summary>
    public string Subtype => Node.String("subtype") ?? string.Empty;

    /// <summary>The column or constraint the sub-command names, when it names one.</summary>
    public string? Name => Node.String("name");

    /// <summary>The definition: a <c>ColumnDef</c>, <c>Constraint</c>, <c>PartitionCmd</c>, ...</summary>
    public SqlNode Definition => Node.Node("def");

    /// <summary>True when written with IF EXISTS.</summary>
    public bool MissingOk => Node.Bool("missing_ok");

    /// <summary>True for CASCADE.</summary>
    public bool Cascade => Node.String("behavior") == "DROP_CASCADE";
}

/// <summary>The options of a CREATE INDEX statement.</summary>
public readonly struct IndexStatement
{
    internal IndexStatement(SqlNode node) => Node = node;

    /// <summary>The <c>IndexStmt</c> node.</summary>
    public SqlNode Node { get; }

    /// <summary>The index name, or null when PostgreSQL picks one.</summary>
    public string? Name => Node.String("idxname");

    /// <summary>The indexed table.</summary>
    public RelationName Table => RelationName.FromRangeVar(Node.Node("relation", "RangeVar"));

    /// <summary>CONCURRENTLY.</summary>
    public bool Concurrent => Node.Bool("concurrent");

    /// <summary>UNIQUE.</summary>
    public bool Unique => Node.Bool("unique");

    /// <summary>IF NOT EXISTS.</summary>
    public bool IfNotExists => Node.Bool("if_not_exists");

    /// <summary>The access method (btree, gin, ...).</summary>
    public string AccessMethod => Node.String("accessMethod") ?? "btree";

    /// <summary>The column names indexed (expressions are left out).</summary>
    public IReadOnlyList<string> Columns => [.. Node.Nodes("indexParams").Select(p => p.String("name")).OfType<string>()];

    /// <summary>True when the index has a WHERE predicate.</summary>
    public bool IsPartial => !Node.Node("whereClause").IsMissing;
}

/// <summary>A constraint in a statement: column or table constraint, or ALTER TABLE ADD CONSTRAINT.</summary>
public readonly struct ConstraintDefinition
{
    internal ConstraintDefinition(SqlNode node) => Node = node;

    /// <summary>The <c>Constraint</c> node.</summary>
    public SqlNode Node { get; }

    /// <summary>PostgreSQL's constraint type name, e.g. <c>CONSTR_FOREIGN</c>, <c>CONSTR_CHECK</c>, <c>CONSTR_NOTNULL</c>.</summary>
    public string Type => Node.String("contype") ?? string.Empty;

    /// <summary>The constraint name, when given.</summary>
    public string? Name => Node.String("conname");

    /// <summary>NOT VALID: existing rows are not checked now.</summary>
    public bool SkipValidation => Node.Bool("skip_validation");

    /// <summary>USING INDEX name, for primary key and unique constraints built on an existing index.</summary>
    public string? UsingIndex => Node.String("indexname");

    /// <summary>For a foreign key: the referenced table.</summary>
    public RelationName? ReferencedTable
    {
        get
        {
            var pk = Node.Node("pktable", "RangeVar");
            return pk.IsMissing ? null : RelationName.FromRangeVar(pk);
        }
    }
}
