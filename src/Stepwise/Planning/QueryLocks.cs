using Stepwise.Sql;

namespace Stepwise.Planning;

/// <summary>
/// The locks that parse analysis and execution of a query take: ROW EXCLUSIVE on the target of every
/// INSERT, UPDATE, DELETE and MERGE (also inside WITH), ROW SHARE on the tables whose rows
/// SELECT ... FOR UPDATE/SHARE locks, and ACCESS SHARE on every other table it reads. Also used for
/// the queries inside CREATE VIEW, CREATE TABLE AS, COPY, EXPLAIN, rules and policies, which take the
/// same locks when PostgreSQL analyses them.
/// </summary>
internal sealed class QueryLocks
{
    private readonly LockSet _locks;
    private readonly string _what;
    private readonly string _readReason;
    private readonly HashSet<string> _cteNames;

    private QueryLocks(LockSet locks, string what, SqlNode root)
    {
        _locks = locks;
        _what = what;
        _readReason = $"{what} (table read)";
        // A WITH query is referenced like a table; it is not one.
        _cteNames = [.. root.Descendants().Where(n => n.Kind == "CommonTableExpr").Select(n => n.String("ctename")).OfType<string>()];
    }

    /// <summary>Adds the locks of <paramref name="node"/>, leaving out the fields in <paramref name="skip"/>.</summary>
    /// <param name="locks">Where the locks go.</param>
    /// <param name="what">The statement, for reasons: <c>CREATE VIEW</c> gives "CREATE VIEW (table read)".</param>
    /// <param name="node">A query or a statement holding queries.</param>
    /// <param name="skip">Fields that name relations the caller has already dealt with (a DDL target).</param>
    internal static void Add(LockSet locks, string what, SqlNode node, params string[] skip)
    {
        if (node.IsMissing)
        {
            return;
        }
        new QueryLocks(locks, what, node).Visit(node, skip);
    }

    /// <summary>
    /// Visits <paramref name="root"/> and every node below it, depth first in field order, without recursion (a tree
    /// nests as deep as the SQL does).
    /// </summary>
    private void Visit(SqlNode root, string[] skip)
    {
        var pending = new Stack<(SqlNode Node, object? Value, string[] Skip)>();
        pending.Push((root, null, skip));
        while (pending.TryPop(out var item))
        {
            if (!item.Node.IsMissing)
            {
                VisitNode(item.Node, item.Skip, pending);
                continue;
            }
            switch (item.Value)
            {
                case NodeFields { Kind: { } kind } wrapped when char.IsUpper(kind[0]):
                    pending.Push((new SqlNode(kind, wrapped), null, []));
                    break;
                case NodeFields fields when fields.TryGet("relname", out _):
                    pending.Push((new SqlNode("RangeVar", fields), null, [])); // a field of fixed type RangeVar, which libpg_query does not wrap
                    break;
                case NodeFields fields:
                    PushFields(fields, [], pending);
                    break;
                case object?[] items:
                    for (var i = items.Length - 1; i >= 0; i--)
                    {
                        pending.Push((default, items[i], []));
                    }
                    break;
            }
        }
    }

    private void VisitNode(SqlNode node, string[] skip, Stack<(SqlNode, object?, string[])> pending)
    {
        switch (node.Kind)
        {
            case "RangeVar":
                Read(node);
                return;
            case "InsertStmt" or "UpdateStmt" or "DeleteStmt" or "MergeStmt":
                Target(node.Node("relation", "RangeVar"), node.Kind);
                skip = [.. skip, "relation"];
                break;
            case "SelectStmt":
                LockRows(node);
                // INTO names the table being created; FOR UPDATE OF names aliases, not tables.
                skip = [.. skip, "intoClause", "lockingClause"];
                break;
            case "CreateTableAsStmt":
                skip = [.. skip, "into"];
                break;
        }
        if (node.Fields is { } fields)
        {
            PushFields(fields, skip, pending);
        }
    }

    /// <summary>Queues the values of <paramref name="fields"/> not in <paramref name="skip"/>, so that they come off the stack in field order.</summary>
    private static void PushFields(NodeFields fields, string[] skip, Stack<(SqlNode, object?, string[])> pending)
    {
        for (var i = fields.Names.Length - 1; i >= 0; i--)
        {
            if (fields.Values[i] is NodeFields or object?[] && !skip.Contains(fields.Names[i]))
            {
                pending.Push((default, fields.Values[i], []));
            }
        }
    }

    private void Read(SqlNode rangeVar)
    {
        if (!IsWithQuery(rangeVar))
        {
            _locks.Add(LockLevel.AccessShare, rangeVar, _readReason);
        }
    }

    private void Target(SqlNode rangeVar, string kind)
    {
        var verb = kind[..^"Stmt".Length].ToUpperInvariant();
        // Inside another statement (CREATE RULE ... DO INSERT, EXPLAIN UPDATE) say which.
        var what = _what is "SELECT" or "INSERT" or "UPDATE" or "DELETE" or "MERGE" ? verb : $"{_what} ... {verb}";
        _locks.Add(LockLevel.RowExclusive, rangeVar, $"{what} (target table)");
    }

    /// <summary>FOR UPDATE/SHARE: ROW SHARE on the tables it names, or on every table in FROM when it names none.</summary>
    private void LockRows(SqlNode select)
    {
        foreach (var clause in select.Nodes("lockingClause"))
        {
            var reason = $"SELECT ... {Strength(clause.String("strength"))} (rows locked)";
            var named = clause.Nodes("lockedRels").Select(r => r.String("relname")).OfType<string>().ToHashSet();
            foreach (var item in select.Nodes("fromClause"))
            {
                foreach (var (alias, tables) in FromItems(item))
                {
                    if (named.Count == 0 || (alias is not null && named.Contains(alias)))
                    {
                        foreach (var table in tables.Where(t => !IsWithQuery(t)))
                        {
                            _locks.Add(LockLevel.RowShare, table, reason);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The names a FROM item can be referred to by, each with the tables behind it. A sub-select's
    /// tables are behind its alias, since FOR UPDATE OF a sub-select locks the rows it reads.
    /// </summary>
    private static IEnumerable<(string? Alias, List<SqlNode> Tables)> FromItems(SqlNode item)
    {
        switch (item.Kind)
        {
            case "RangeVar":
                yield return (item.Node("alias", "Alias").String("aliasname") ?? item.String("relname"), [item]);
                break;
            case "RangeTableSample":
                foreach (var inner in FromItems(item.Node("relation")))
                {
                    yield return inner;
                }
                break;
            case "JoinExpr":
                var joined = new List<SqlNode>();
                foreach (var side in new[] { item.Node("larg"), item.Node("rarg") })
                {
                    foreach (var inner in FromItems(side))
                    {
                        joined.AddRange(inner.Tables);
                        yield return inner;
                    }
                }
                var joinAlias = item.Node("alias", "Alias").String("aliasname");
                if (joinAlias is not null)
                {
                    yield return (joinAlias, joined);
                }
                break;
            case "RangeSubselect":
                var subquery = item.Node("subquery");
                var tables = subquery.Nodes("fromClause").SelectMany(FromItems).SelectMany(i => i.Tables).ToList();
                yield return (item.Node("alias", "Alias").String("aliasname"), tables);
                break;
        }
    }

    private bool IsWithQuery(SqlNode rangeVar) =>
        rangeVar.String("schemaname") is null && rangeVar.String("relname") is { } name && _cteNames.Contains(name);

    private static string Strength(string? strength) => strength switch
    {
        "LCS_FORKEYSHARE" => "FOR KEY SHARE",
        "LCS_FORSHARE" => "FOR SHARE",
        "LCS_FORNOKEYUPDATE" => "FOR NO KEY UPDATE",
        _ => "FOR UPDATE",
    };
}
