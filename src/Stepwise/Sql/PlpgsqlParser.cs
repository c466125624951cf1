using System.Text.Json;

namespace Stepwise.Sql;

/// <summary>A SQL statement found inside a PL/pgSQL body (a <c>DO</c> block or a function).</summary>
/// <param name="Sql">The statement as PL/pgSQL sees it.</param>
/// <param name="Line">The 1-based line in the script where the statement is.</param>
/// <param name="Tree">Its parse tree, or null when it does not parse.</param>
/// <param name="Error">Why it does not parse, or null.</param>
/// <param name="IsDynamic">True for <c>EXECUTE '...'</c> with a constant string.</param>
public sealed record EmbeddedStatement(string Sql, int Line, StatementTree? Tree, SqlError? Error, bool IsDynamic);

/// <summary>What PostgreSQL's PL/pgSQL parser makes of a DO block or CREATE FUNCTION body.</summary>
/// <param name="Functions">The raw <c>PLpgSQL_function</c> trees.</param>
/// <param name="Statements">Every SQL statement run by the body, in order, nested blocks included.</param>
/// <param name="Error">The body's syntax error, or null.</param>
public sealed record PlpgsqlBody(JsonElement Functions, IReadOnlyList<EmbeddedStatement> Statements, SqlError? Error);

/// <summary>
/// Reads PL/pgSQL bodies so that statements hidden in <c>DO $$ ... $$</c> (EF Core's idempotent
/// scripts wrap everything in them) or in functions can be linted like top-level ones.
/// </summary>
public static class PlpgsqlParser
{
    /// <summary>
    /// Parses the body of <paramref name="statement"/> when it is a PL/pgSQL DO block or function;
    /// returns null for any other statement.
    /// </summary>
    public static PlpgsqlBody? Parse(SqlScript script, SqlStatement statement)
    {
        ArgumentNullException.ThrowIfNull(script);
        return Parse(script.Source, statement);
    }

    /// <summary><see cref="Parse(SqlScript, SqlStatement)"/> for a statement of <paramref name="source"/> (a script read in windows).</summary>
    internal static PlpgsqlBody? Parse(SourceText source, SqlStatement statement)
    {
        if (statement.Tree is not { } tree || !IsPlpgsql(tree.Root) || !HasBody(tree.Root))
        {
            return null;
        }
        var bodyLine = BodyStartLine(source, statement);
        // Exactly the text the tree came from: a NUL left in would cut the C string short, and a
        // truncated CREATE FUNCTION without its body aborts libpg_query.
        var (functions, error) = PgQuery.ParsePlpgsql(statement.ParserText);
        if (error is { } e)
        {
            var message = e.Context is null ? $"PL/pgSQL: {e.Message}" : $"PL/pgSQL: {e.Message} ({e.Context})";
            return new PlpgsqlBody(default, [], SqlError.At(source, statement.Span.Start, message));
        }
        var found = new List<EmbeddedStatement>();
        Collect(functions, source, bodyLine, found);
        return new PlpgsqlBody(functions, found, null);
    }

    /// <summary>
    /// True when <paramref name="doStmt"/> is a PL/pgSQL DO block whose body runs COMMIT or ROLLBACK (which it
    /// may only do outside a transaction block). A body that does not parse says false: running it reports its error.
    /// </summary>
    internal static bool DoBlockEndsTransactions(SqlNode doStmt)
    {
        if (!IsPlpgsql(doStmt) || !HasBody(doStmt))
        {
            return false;
        }
        var body = doStmt.Nodes("args").First(o => o.String("defname") == "as").Node("arg").StringValue;
        var (functions, error) = PgQuery.ParsePlpgsql("DO " + Quote.Literal(body ?? ""));
        return error is null && HasTransactionControl(functions);
    }

    private static bool HasTransactionControl(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Any(p => p.Name is "PLpgSQL_stmt_commit" or "PLpgSQL_stmt_rollback" || HasTransactionControl(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Any(HasTransactionControl),
        _ => false,
    };

    private static bool IsPlpgsql(SqlNode root)
    {
        if (root.Kind is not ("DoStmt" or "CreateFunctionStmt"))
        {
            return false;
        }
        var language = root.Nodes(root.Kind == "DoStmt" ? "args" : "options").FirstOrDefault(o => o.String("defname") == "language");
        // DO defaults to plpgsql; a function must say so.
        return language.IsMissing
            ? root.Kind == "DoStmt"
            : string.Equals(language.Node("arg").StringValue, "plpgsql", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// True when the statement has a quoted body. libpg_query aborts the process (a C assert) on a
    /// CREATE FUNCTION without one, e.g. LANGUAGE plpgsql with a BEGIN ATOMIC body, so never pass those.
    /// </summary>
    private static bool HasBody(SqlNode root)
    {
        var body = root.Nodes(root.Kind == "DoStmt" ? "args" : "options").FirstOrDefault(o => o.String("defname") == "as");
        if (body.IsMissing)
        {
            return false;
        }
        var arg = body.Node("arg");
        return root.Kind == "DoStmt"
            ? arg.Kind == "String"
            : arg.Kind == "List" && arg.Nodes("items").Any(i => i.Kind == "String") && root.Nodes("funcname").Any();
    }

    /// <summary>The script line where the body starts: PL/pgSQL numbers lines from the opening quote.</summary>
    private static int BodyStartLine(SourceText source, SqlStatement statement)
    {
        var bodyStart = -1;
        var longest = -1;
        SqlLexer.Scan(source.Text, statement.Span.Start, statement.Span.End, (kind, from, to) =>
        {
            // The body is the longest quoted segment; parameter defaults and names are shorter.
            if (kind == SqlLexer.Segment.Quoted && source.Text[from] != '"' && to - from > longest)
            {
                longest = to - from;
                bodyStart = from;
            }
            return true;
        });
        return source.LineColumn(bodyStart < 0 ? statement.Span.Start : bodyStart).Line;
    }

    private static void Collect(JsonElement element, SourceText source, int bodyLine, List<EmbeddedStatement> found)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var line = bodyLine + Math.Max(0, (property.Value.ValueKind == JsonValueKind.Object && property.Value.TryGetProperty("lineno", out var l) ? l.GetInt32() : 1) - 1);
                    switch (property.Name)
                    {
                        case "PLpgSQL_stmt_execsql":
                            AddQuery(property.Value, "sqlstmt", line, source, isDynamic: false, found);
                            break;
                        case "PLpgSQL_stmt_perform":
                            AddQuery(property.Value, "expr", line, source, isDynamic: false, found);
                            break;
                        case "PLpgSQL_stmt_dynexecute":
                            AddDynamic(property.Value, line, source, found);
                            break;
                    }
                    Collect(property.Value, source, bodyLine, found);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, source, bodyLine, found);
                }
                break;
        }
    }

    private static string? Query(JsonElement statement, string field) =>
        statement.TryGetProperty(field, out var expr)
        && expr.TryGetProperty("PLpgSQL_expr", out var e)
        && e.TryGetProperty("query", out var q)
            ? q.GetString()
            : null;

    private static void AddQuery(JsonElement statement, string field, int line, SourceText source, bool isDynamic, List<EmbeddedStatement> found)
    {
        if (Query(statement, field) is { } sql)
        {
            found.Add(ParseEmbedded(sql, line, source, isDynamic));
        }
    }

    /// <summary><c>EXECUTE 'constant SQL'</c> is linted like static SQL; a computed string cannot be.</summary>
    private static void AddDynamic(JsonElement statement, int line, SourceText source, List<EmbeddedStatement> found)
    {
        if (Query(statement, "query") is not { } expression)
        {
            return;
        }
        var script = SqlParser.Parse("SELECT " + expression);
        var target = script.Statements.Count == 1 ? script.Statements[0].Tree?.Root : null;
        var value = target?.Nodes("targetList").FirstOrDefault().Node("val");
        if (target?.Nodes("targetList").Count() == 1 && value is { Kind: "A_Const" } constant && constant.Node("sval", "String").String("sval") is { } sql)
        {
            found.Add(ParseEmbedded(sql, line, source, isDynamic: true));
        }
    }

    private static EmbeddedStatement ParseEmbedded(string sql, int line, SourceText source, bool isDynamic)
    {
        var parsed = SqlParser.Parse(sql);
        var tree = parsed.IsValid && parsed.Statements.Count == 1 ? parsed.Statements[0].Tree : null;
        SqlError? error = null;
        if (parsed.Errors.Count > 0)
        {
            var excerpt = source.Excerpt(line, 1);
            error = new SqlError(source.FileName, line, 1, $"in PL/pgSQL body: {parsed.Errors[0].Message}", excerpt.Text) { Excerpt = excerpt };
        }
        return new EmbeddedStatement(sql, line, tree, error, isDynamic);
    }
}
