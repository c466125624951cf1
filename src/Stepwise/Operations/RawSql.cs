using Stepwise.Sql;
using YamlDotNet.RepresentationModel;

namespace Stepwise.Operations;

/// <summary>
/// <c>sql</c>: statements run at start (<see cref="Up"/>), undone by <see cref="Down"/> on rollback (without it, by dropping
/// what <see cref="Up"/> created when it only creates objects), or run at complete (pgroll's <c>onComplete</c>, or a separate
/// <see cref="Complete"/>).
/// </summary>
public sealed record RawSql(string Up, string? Down = null, bool OnComplete = false, string? Complete = null) : Operation, IOperationFormat
{
    static OperationFormat IOperationFormat.Format { get; } = new("sql", ["up", "down", "onComplete", "complete"], f =>
    {
        var up = f.Sql("up", SqlFragment.Statements, required: true);
        var down = f.Value("down") is YamlScalarNode { Value: var d } && string.IsNullOrWhiteSpace(d) ? null : f.Sql("down", SqlFragment.Statements);
        var onComplete = f.Bool("onComplete") ?? false;
        var complete = f.Sql("complete", SqlFragment.Statements);
        if (onComplete && down is not null)
        {
            f.Context.Error(f.Key("down")!, "wrong-value", "sql.down cannot be used with onComplete: true (nothing runs at start, so there is nothing to undo)",
                "remove down, or run up at start (remove onComplete)");
        }
        if (onComplete && complete is not null)
        {
            f.Context.Error(f.Key("complete")!, "wrong-value", "sql.complete cannot be used with onComplete: true (up already runs at complete)",
                "put the statements in up, or remove onComplete");
        }
        if (up is not null && down is null && !onComplete && SqlParser.Parse(up).IsValid && InverseOf(up) is null)
        {
            f.Context.Warning(f.Key("up")!, "no-down", "sql.up has no down, and not every statement of it is a CREATE Stepwise can undo by dropping what it made: rollback leaves what it did",
                "write down: the statements that undo up (rollback runs them)");
        }
        return up is null ? null : new RawSql(up, down, onComplete, complete);
    });

    /// <summary>
    /// The statements that undo <paramref name="up"/> when every one of its statements creates a named object (a table,
    /// type, domain, view, materialized view, sequence, index or schema, without IF NOT EXISTS or OR REPLACE, which could
    /// meet one made before): each dropped, newest first. Null when any statement is something else.
    /// </summary>
    internal static string? InverseOf(string up)
    {
        var drops = new List<string>();
        foreach (var statement in SqlParser.Parse(up).Statements.Where(s => s.Kind == StatementKind.Sql))
        {
            if (statement.Tree?.Root is not { } root || DropOf(root) is not { } drop)
            {
                return null;
            }
            drops.Insert(0, drop + ";");
        }
        return drops.Count == 0 ? null : string.Join("\n", drops);
    }

    private static string? DropOf(SqlNode root)
    {
        if (root.Bool("if_not_exists") || root.Bool("replace"))
        {
            return null;
        }
        static string Relation(SqlNode rangeVar) =>
            rangeVar.String("schemaname") is { } schema ? Quote.Ident(schema, rangeVar.String("relname")!) : Quote.Ident(rangeVar.String("relname")!);
        static string Names(IReadOnlyList<string> names) => string.Join(".", names.Select(Quote.Ident));
        return root.Kind switch
        {
            "CreateStmt" when root.Node("relation", "RangeVar") is { IsMissing: false } table => $"DROP TABLE {Relation(table)}",
            "CreateEnumStmt" or "CreateRangeStmt" when root.Names("typeName") is { Count: > 0 } type => $"DROP TYPE {Names(type)}",
            "CompositeTypeStmt" when root.Node("typevar", "RangeVar") is { IsMissing: false } type => $"DROP TYPE {Relation(type)}",
            "CreateDomainStmt" when root.Names("domainname") is { Count: > 0 } domain => $"DROP DOMAIN {Names(domain)}",
            "ViewStmt" when root.Node("view", "RangeVar") is { IsMissing: false } view => $"DROP VIEW {Relation(view)}",
            "CreateSeqStmt" when root.Node("sequence", "RangeVar") is { IsMissing: false } sequence => $"DROP SEQUENCE {Relation(sequence)}",
            "CreateTableAsStmt" when root.Node("into", "IntoClause").Node("rel", "RangeVar") is { IsMissing: false } into =>
                $"DROP {(root.String("objtype") == "OBJECT_MATVIEW" ? "MATERIALIZED VIEW" : "TABLE")} {Relation(into)}",
            "IndexStmt" when root.String("idxname") is { } index && !root.Bool("concurrent") =>
                $"DROP INDEX {(root.Node("relation", "RangeVar").String("schemaname") is { } schema ? Quote.Ident(schema, index) : Quote.Ident(index))}",
            "CreateSchemaStmt" when root.String("schemaname") is { } schema && !root.Nodes("schemaElts").Any() => $"DROP SCHEMA {Quote.Ident(schema)}",
            _ => null,
        };
    }

    /// <summary>Start: <see cref="Up"/> statement by statement (or at complete with <see cref="OnComplete"/>); rollback: <see cref="Down"/>; complete: <see cref="Complete"/>.</summary>
    public override void Plan(PlanBuilder plan)
    {
        foreach (var step in Steps.SqlText("sql", Up))
        {
            if (OnComplete)
            {
                plan.Complete(step);
            }
            else
            {
                plan.Start(step);
            }
        }
        // Without down, statements that only create objects are undone by dropping them (pgroll's rollback would leave them).
        if ((Down ?? (OnComplete ? null : InverseOf(Up))) is { } down && !OnComplete)
        {
            // Rollback runs undo steps in reverse: add the down statements last-first so they run in their written order.
            foreach (var step in Steps.SqlText("sql down", down).Reverse())
            {
                plan.Undo(step);
            }
        }
        if (Complete is not null)
        {
            foreach (var step in Steps.SqlText("sql complete", Complete))
            {
                plan.Complete(step);
            }
        }
    }
}
