using Stepwise.Sql;

namespace Stepwise.Planning;

/// <summary>
/// Which table-level locks a statement takes, read from its parse tree alone, after PostgreSQL 15
/// ("Explicit Locking" and each command's page). Without a database some locks cannot be seen: the
/// table behind an index named by DROP INDEX or REINDEX INDEX, tables a foreign key references when
/// its constraint is dropped, partitions, views' base tables. The reasons mention them where they matter;
/// docs/locks.md lists them.
/// </summary>
public static class StatementLocks
{
    /// <summary>
    /// The locks <paramref name="tree"/> takes: each relation once, at the strongest level the
    /// statement takes on it, in the order the statement names them. Empty for statements that lock
    /// no named relation (SET, GRANT, CREATE FUNCTION, ...) and for statement kinds Stepwise does not know.
    /// </summary>
    public static IReadOnlyList<TableLock> For(StatementTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        // Many lint rules ask for the same statement's locks: derive them once per tree.
        return s_cache.GetValue(tree, Derive);
    }

    /// <summary>
    /// The same, and with a database's <paramref name="foreignKeys"/> also the locks on tables the statement does not name
    /// but whose foreign keys it drops, rebuilds or validates (DROP CONSTRAINT, DROP TABLE, DROP COLUMN, ALTER COLUMN TYPE,
    /// VALIDATE CONSTRAINT): the referenced tables.
    /// </summary>
    public static IReadOnlyList<TableLock> For(StatementTree tree, ForeignKeys? foreignKeys)
    {
        if (foreignKeys is null)
        {
            return For(tree);
        }
        var locks = new LockSet();
        foreach (var l in For(tree))
        {
            locks.Add(l.Level, l.Relation, l.Reason);
        }
        foreignKeys.AddReferencedLocks(locks, tree);
        return locks.ToList();
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<StatementTree, IReadOnlyList<TableLock>> s_cache = [];

    private static IReadOnlyList<TableLock> Derive(StatementTree tree)
    {
        var locks = new LockSet();
        var root = tree.Root;
        switch (tree.Kind)
        {
            case "SelectStmt" or "InsertStmt" or "UpdateStmt" or "DeleteStmt" or "MergeStmt" or "CreateTableAsStmt":
                QueryLocks.Add(locks, tree.CommandTag, root);
                break;
            case "ExplainStmt" or "PrepareStmt" or "DeclareCursorStmt":
                // Analysing the query takes its locks, even when it is not run.
                QueryLocks.Add(locks, tree.CommandTag, root.Node("query"));
                break;
            case "CopyStmt":
                Copy(locks, root);
                break;
            case "CreateStmt":
                CreateTable(locks, root, "CREATE TABLE");
                break;
            case "CreateForeignTableStmt":
                CreateTable(locks, root.Node("base", "CreateStmt"), "CREATE FOREIGN TABLE");
                break;
            case "AlterTableStmt":
                AlterTableLocks.Add(locks, tree);
                break;
            case "RenameStmt":
                Rename(locks, root);
                break;
            case "AlterObjectSchemaStmt":
                if (RelationWord(root.String("objectType")) is { } word)
                {
                    AddRelation(locks, LockLevel.AccessExclusive, root, $"ALTER {word} ... SET SCHEMA");
                }
                break;
            case "IndexStmt" when root.Bool("concurrent"):
                AddRelation(locks, LockLevel.ShareUpdateExclusive, root, "CREATE INDEX CONCURRENTLY");
                break;
            case "IndexStmt":
                AddRelation(locks, LockLevel.Share, root, "CREATE INDEX");
                break;
            case "ReindexStmt":
                Reindex(locks, root);
                break;
            case "DropStmt":
                Drop(locks, root);
                break;
            case "TruncateStmt":
                var reason = root.String("behavior") == "DROP_CASCADE"
                    ? "TRUNCATE ... CASCADE (also ACCESS EXCLUSIVE on every table with a foreign key to it)"
                    : "TRUNCATE";
                AddRelations(locks, LockLevel.AccessExclusive, root.Nodes("relations"), reason);
                break;
            case "VacuumStmt":
                Vacuum(locks, root);
                break;
            case "ClusterStmt":
                AddRelation(locks, LockLevel.AccessExclusive, root, "CLUSTER");
                break;
            case "RefreshMatViewStmt" when root.Bool("concurrent"):
                AddRelation(locks, LockLevel.Exclusive, root, "REFRESH MATERIALIZED VIEW CONCURRENTLY");
                break;
            case "RefreshMatViewStmt":
                AddRelation(locks, LockLevel.AccessExclusive, root, "REFRESH MATERIALIZED VIEW");
                break;
            case "LockStmt":
                // LOCK's mode numbers are PostgreSQL's lock mode numbers; 0 means none written.
                var mode = root.Int("mode") is >= 1 and <= 8 and var m ? (LockLevel)m : LockLevel.AccessExclusive;
                AddRelations(locks, mode, root.Nodes("relations"), $"LOCK TABLE ... IN {mode.ToSql()} MODE");
                break;
            case "CreateTrigStmt":
                AddRelation(locks, LockLevel.ShareRowExclusive, root, "CREATE TRIGGER");
                locks.Add(LockLevel.AccessShare, root.Node("constrrel", "RangeVar"), "CREATE CONSTRAINT TRIGGER ... FROM (referenced table)");
                break;
            case "RuleStmt":
                AddRelation(locks, LockLevel.AccessExclusive, root, "CREATE RULE");
                QueryLocks.Add(locks, "CREATE RULE", root, "relation");
                break;
            case "CreatePolicyStmt" or "AlterPolicyStmt":
                locks.Add(LockLevel.AccessExclusive, root.Node("table", "RangeVar"), tree.CommandTag);
                QueryLocks.Add(locks, tree.CommandTag, root, "table");
                break;
            case "ViewStmt":
                if (root.Bool("replace"))
                {
                    locks.Add(LockLevel.AccessExclusive, root.Node("view", "RangeVar"), "CREATE OR REPLACE VIEW (when the view exists)");
                }
                QueryLocks.Add(locks, tree.CommandTag, root.Node("query"));
                break;
            case "CommentStmt" or "SecLabelStmt":
                Comment(locks, root, tree.Kind == "CommentStmt" ? "COMMENT ON" : "SECURITY LABEL ON");
                break;
            case "CreateStatsStmt":
                AddRelations(locks, LockLevel.ShareUpdateExclusive, root.Nodes("relations"), "CREATE STATISTICS");
                break;
            case "AlterSeqStmt":
                // Conflicts with the ROW EXCLUSIVE that nextval() takes.
                locks.Add(LockLevel.ShareRowExclusive, root.Node("sequence", "RangeVar"), "ALTER SEQUENCE");
                OwnedBy(locks, root, "ALTER SEQUENCE ... OWNED BY");
                break;
            case "CreateSeqStmt":
                OwnedBy(locks, root, "CREATE SEQUENCE ... OWNED BY");
                break;
        }
        // GRANT/REVOKE, SET, CREATE FUNCTION, DO, CALL, ... take no lock on a named table; so does any
        // kind not listed above.
        return locks.ToList();
    }

    private static void Copy(LockSet locks, SqlNode copy)
    {
        if (copy.Bool("is_from"))
        {
            AddRelation(locks, LockLevel.RowExclusive, copy, "COPY ... FROM");
        }
        else
        {
            AddRelation(locks, LockLevel.AccessShare, copy, "COPY ... TO");
            QueryLocks.Add(locks, "COPY (query) TO", copy.Node("query"));
        }
    }

    /// <summary>The new table locks no one out; the tables it refers to are another matter.</summary>
    private static void CreateTable(LockSet locks, SqlNode create, string what)
    {
        var created = create.Node("relation", "RangeVar");
        var self = created.IsMissing ? default : RelationName.FromRangeVar(created);
        var partitionOf = !create.Node("partbound", "PartitionBoundSpec").IsMissing;
        foreach (var parent in create.Nodes("inhRelations").Where(p => p.Kind == "RangeVar"))
        {
            // A new partition changes the parent's partition descriptor: ACCESS EXCLUSIVE in PostgreSQL 15.
            // Plain inheritance only needs a self-exclusive lock on the parent.
            if (partitionOf)
            {
                locks.Add(LockLevel.AccessExclusive, parent,
                    $"{what} ... PARTITION OF (parent table; its default partition too, if it has one)");
            }
            else
            {
                locks.Add(LockLevel.ShareUpdateExclusive, parent, $"{what} ... INHERITS (parent table)");
            }
        }
        foreach (var element in create.Nodes("tableElts"))
        {
            if (element.Kind == "TableLikeClause")
            {
                locks.Add(LockLevel.AccessShare, element.Node("relation", "RangeVar"), $"{what} ... LIKE (source table)");
            }
        }
        foreach (var constraint in create.Descendants().Where(n => n.Kind == "Constraint"))
        {
            // A foreign key adds triggers to the referenced table.
            var referenced = constraint.Node("pktable", "RangeVar");
            if (!referenced.IsMissing && RelationName.FromRangeVar(referenced) != self)
            {
                locks.Add(LockLevel.ShareRowExclusive, referenced, $"{what} ... REFERENCES (referenced table)");
            }
        }
    }

    private static void Rename(LockSet locks, SqlNode rename)
    {
        var type = rename.String("renameType");
        switch (type)
        {
            case "OBJECT_INDEX":
                // Since PostgreSQL 12; ALTER TABLE ... RENAME on an index still takes ACCESS EXCLUSIVE.
                AddRelation(locks, LockLevel.ShareUpdateExclusive, rename, "ALTER INDEX ... RENAME TO");
                break;
            case "OBJECT_COLUMN" when RelationWord(rename.String("relationType")) is { } word:
                AddRelation(locks, LockLevel.AccessExclusive, rename, $"ALTER {word} ... RENAME COLUMN");
                break;
            case "OBJECT_TABCONSTRAINT":
                AddRelation(locks, LockLevel.AccessExclusive, rename, "ALTER TABLE ... RENAME CONSTRAINT");
                break;
            case "OBJECT_TRIGGER" or "OBJECT_POLICY" or "OBJECT_RULE":
                AddRelation(locks, LockLevel.AccessExclusive, rename, $"ALTER {type[7..]} ... ON ... RENAME TO");
                break;
            default:
                if (RelationWord(type) is { } relationWord)
                {
                    AddRelation(locks, LockLevel.AccessExclusive, rename, $"ALTER {relationWord} ... RENAME TO");
                }
                break;
        }
    }

    private static void Reindex(LockSet locks, SqlNode reindex)
    {
        var concurrently = reindex.Nodes("params").Any(p => p.String("defname") == "concurrently" && p.IsTrueOption);
        switch (reindex.String("kind"))
        {
            case "REINDEX_OBJECT_INDEX" when concurrently:
                AddRelation(locks, LockLevel.ShareUpdateExclusive, reindex, "REINDEX INDEX CONCURRENTLY (its table too)");
                break;
            case "REINDEX_OBJECT_INDEX":
                AddRelation(locks, LockLevel.AccessExclusive, reindex,
                    "REINDEX INDEX (queries that use the index wait; its table gets SHARE, which blocks writes)");
                break;
            case "REINDEX_OBJECT_TABLE" when concurrently:
                AddRelation(locks, LockLevel.ShareUpdateExclusive, reindex, "REINDEX TABLE CONCURRENTLY (its indexes too)");
                break;
            case "REINDEX_OBJECT_TABLE":
                AddRelation(locks, LockLevel.Share, reindex,
                    "REINDEX TABLE (each of its indexes gets ACCESS EXCLUSIVE while rebuilt, blocking queries that use it)");
                break;
            // SCHEMA, DATABASE, SYSTEM: the tables are not named in the statement.
        }
    }

    private static void Drop(LockSet locks, SqlNode drop)
    {
        var objects = drop.Nodes("objects").Select(o => o.Names("items")).Where(n => n.Count > 0).ToList();
        var type = drop.String("removeType");
        switch (type)
        {
            case "OBJECT_TABLE":
                // Dropping a foreign key drops its triggers on the referenced table, which needs ACCESS EXCLUSIVE there.
                AddNamed(locks, LockLevel.AccessExclusive, objects, "DROP TABLE (also ACCESS EXCLUSIVE on tables its foreign keys reference)");
                break;
            case "OBJECT_INDEX" when drop.Bool("concurrent"):
                AddNamed(locks, LockLevel.ShareUpdateExclusive, objects, "DROP INDEX CONCURRENTLY (its table too)");
                break;
            case "OBJECT_INDEX":
                AddNamed(locks, LockLevel.AccessExclusive, objects, "DROP INDEX (its table too)");
                break;
            case "OBJECT_VIEW":
                AddNamed(locks, LockLevel.AccessExclusive, objects, "DROP VIEW");
                break;
            case "OBJECT_MATVIEW":
                AddNamed(locks, LockLevel.AccessExclusive, objects, "DROP MATERIALIZED VIEW");
                break;
            case "OBJECT_SEQUENCE":
                AddNamed(locks, LockLevel.AccessExclusive, objects, "DROP SEQUENCE");
                break;
            case "OBJECT_FOREIGN_TABLE":
                AddNamed(locks, LockLevel.AccessExclusive, objects, "DROP FOREIGN TABLE");
                break;
            case "OBJECT_TRIGGER" or "OBJECT_POLICY" or "OBJECT_RULE":
                // Named "[schema.]table.object": the lock is on the table.
                AddNamed(locks, LockLevel.AccessExclusive, [.. objects.Select(n => n.Take(n.Count - 1).ToList())], $"DROP {type[7..]}");
                break;
        }
    }

    private static void Vacuum(LockSet locks, SqlNode vacuum)
    {
        var options = vacuum.Nodes("options").Where(o => o.IsTrueOption).Select(o => o.String("defname")).ToHashSet();
        var (level, what) = !vacuum.Bool("is_vacuumcmd") ? (LockLevel.ShareUpdateExclusive, "ANALYZE")
            : options.Contains("full") ? (LockLevel.AccessExclusive, "VACUUM FULL")
            : (LockLevel.ShareUpdateExclusive, options.Contains("analyze") ? "VACUUM ANALYZE" : "VACUUM");
        // Without a list, every table in the database: none is named.
        AddRelations(locks, level, vacuum.Nodes("rels").Select(r => r.Node("relation", "RangeVar")), what);
    }

    private static void Comment(LockSet locks, SqlNode comment, string what)
    {
        var type = comment.String("objtype");
        var names = comment.Node("object").Names("items");
        if (names.Count == 0)
        {
            return;
        }
        // A column, constraint, trigger, rule or policy is named after its table: the lock is on the table.
        var table = type switch
        {
            "OBJECT_TABLE" or "OBJECT_VIEW" or "OBJECT_MATVIEW" or "OBJECT_INDEX" or "OBJECT_SEQUENCE" or "OBJECT_FOREIGN_TABLE" => names,
            "OBJECT_COLUMN" or "OBJECT_TABCONSTRAINT" or "OBJECT_TRIGGER" or "OBJECT_RULE" or "OBJECT_POLICY" => [.. names.Take(names.Count - 1)],
            _ => [],
        };
        if (table.Count > 0)
        {
            var word = type == "OBJECT_TABCONSTRAINT" ? "CONSTRAINT" : type![7..].Replace('_', ' ').Replace("MATVIEW", "MATERIALIZED VIEW");
            locks.Add(LockLevel.ShareUpdateExclusive, Name(table), $"{what} {word}");
        }
    }

    private static void OwnedBy(LockSet locks, SqlNode sequence, string what)
    {
        foreach (var option in sequence.Nodes("options").Where(o => o.String("defname") == "owned_by"))
        {
            // OWNED BY [schema.]table.column; OWNED BY NONE has one name.
            var names = option.Node("arg").Names("items");
            if (names.Count > 1)
            {
                locks.Add(LockLevel.AccessShare, Name([.. names.Take(names.Count - 1)]), what, option.Int("location"));
            }
        }
    }

    /// <summary>TABLE, VIEW, ... for object types that are relations; null for any other object.</summary>
    /// <summary>The SQL word for an object type that is a relation (<c>MATERIALIZED VIEW</c>), or null for other objects.</summary>
    private static string? RelationWord(string? objectType) =>
        objectType is "OBJECT_TABLE" or "OBJECT_VIEW" or "OBJECT_MATVIEW" or "OBJECT_SEQUENCE" or "OBJECT_FOREIGN_TABLE" or "OBJECT_INDEX"
            ? CommandTags.ObjectWord(objectType)
            : null;

    private static void AddRelation(LockSet locks, LockLevel level, SqlNode statement, string reason) =>
        locks.Add(level, statement.Node("relation", "RangeVar"), reason);

    private static void AddRelations(LockSet locks, LockLevel level, IEnumerable<SqlNode> rangeVars, string reason)
    {
        foreach (var rangeVar in rangeVars)
        {
            locks.Add(level, rangeVar, reason);
        }
    }

    private static void AddNamed(LockSet locks, LockLevel level, IReadOnlyList<IReadOnlyList<string>> names, string reason)
    {
        foreach (var name in names.Where(n => n.Count > 0))
        {
            locks.Add(level, Name(name), reason);
        }
    }

    /// <summary><c>[catalog.][schema.]name</c> as a list of names.</summary>
    private static RelationName Name(IReadOnlyList<string> names) =>
        new(names.Count >= 2 ? names[^2] : null, names[^1]);
}
