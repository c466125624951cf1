using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Stepwise.Diagnostics;
using Stepwise.Migrations;
using Stepwise.Sql;

namespace Stepwise.Import;

/// <summary>
/// Reads the output of <c>dotnet ef migrations script</c> (plain or <c>--idempotent</c>, Npgsql): one
/// Stepwise migration per EF migration, cut at EF's <c>INSERT INTO "__EFMigrationsHistory"</c>. EF's
/// bookkeeping (the history table, its inserts, <c>START TRANSACTION</c>/<c>COMMIT</c>) is removed,
/// since Stepwise keeps its own history and runs each migration in its own transaction; the
/// <c>DO $EF$ ... IF NOT EXISTS(... "MigrationId" = '...') THEN ... END IF; END $EF$</c> wrappers of an
/// idempotent script are unwrapped. Statements are found with PostgreSQL's parser, never by pattern.
/// </summary>
internal static partial class EfScriptImport
{
    private const string HistoryTable = "__EFMigrationsHistory";

    private sealed class Pending
    {
        public string? Id;
        public int Line;
        public int OutsideTransactionLine; // EF runs the statement at this line outside a transaction (suppressTransaction)
        public readonly List<string> Statements = [];

        public void Add(string statement, int line, bool outsideTransaction)
        {
            if (Statements.Count == 0)
            {
                Line = line;
            }
            if (outsideTransaction && OutsideTransactionLine == 0)
            {
                OutsideTransactionLine = line;
            }
            Statements.Add(statement);
        }
    }

    public static ImportResult Read(string path)
    {
        var problems = new List<MigrationProblem>();
        if (!File.Exists(path))
        {
            throw new ImportRefusedException("nothing was imported", [new MigrationProblem(Severity.Error, "no-file", path, 0, 0,
                "the EF script does not exist", "write it with: dotnet ef migrations script -o migrations.sql (or --idempotent)")]);
        }
        var text = Importer.ReadText(path, problems);
        Importer.ThrowIfErrors("nothing was imported", problems);
        var script = SqlParser.Parse(text, path);
        foreach (var error in script.Errors)
        {
            problems.Add(new MigrationProblem(Severity.Error, "syntax-error", path, error.Line, error.Column,
                error.Message, "fix the script (EF writes migrationBuilder.Sql(...) text as given: does it end with a semicolon?) and import again"));
        }
        Importer.ThrowIfErrors("nothing was imported: the script does not parse", problems);

        var done = new List<Pending>();
        var current = new Pending();
        var fileName = Path.GetFileName(path);
        // EF wraps each migration in START TRANSACTION/COMMIT, except statements written with suppressTransaction.
        var usesTransactions = script.Statements.Any(s => s.Tree?.Root.Kind == "TransactionStmt");
        var inTransaction = false;
        foreach (var statement in script.Statements)
        {
            var root = statement.Tree!.Root;
            var (line, column) = (statement.Span.StartLine, statement.Span.StartColumn);
            var outside = usesTransactions && !inTransaction;
            switch (root.Kind)
            {
                case "TransactionStmt":
                    // Removed: each Stepwise migration runs in its own transaction.
                    inTransaction = root.String("kind") is "TRANS_STMT_BEGIN" or "TRANS_STMT_START" || inTransaction && root.String("kind") is not ("TRANS_STMT_COMMIT" or "TRANS_STMT_ROLLBACK");
                    continue;
                case "CreateStmt" when Target(root) == HistoryTable:
                    continue;
                case "InsertStmt" when Target(root) == HistoryTable:
                    Close(current, FirstString(root), path, line, column, done, problems);
                    current = new Pending();
                    continue;
                case "DeleteStmt" when Target(root) == HistoryTable:
                    problems.Add(RevertScript(path, line, column));
                    continue;
                case "DoStmt" when Unwrap(script, statement, path, problems) is { } wrapped:
                    if (current.Id is not null && current.Id != wrapped.Id)
                    {
                        problems.Add(new MigrationProblem(Severity.Error, "ef-mixed-migrations", path, line, column,
                            $"a statement of migration {wrapped.Id} comes before {current.Id} was recorded in {HistoryTable}",
                            "import the script as dotnet ef migrations script writes it"));
                    }
                    current.Id ??= wrapped.Id;
                    foreach (var inner in wrapped.Statements)
                    {
                        if (inner.Tree?.Root is { Kind: "InsertStmt" } insert && Target(insert) == HistoryTable)
                        {
                            Close(current, FirstString(insert), path, line, column, done, problems);
                            current = new Pending();
                        }
                        else if (inner.Tree?.Root is { Kind: "DeleteStmt" } delete && Target(delete) == HistoryTable)
                        {
                            // An idempotent revert script: EF wraps its history deletes in IF EXISTS(...) blocks.
                            problems.Add(RevertScript(path, line, column));
                        }
                        else
                        {
                            current.Add(Dedent(inner.Sql), line, outside);
                        }
                    }
                    continue;
            }
            current.Add(statement.Text, line, outside);
        }
        if (current.Statements.Count > 0 && done.Count > 0)
        {
            problems.Add(new MigrationProblem(Severity.Error, "ef-unrecorded-statements", path, current.Line, 1,
                $"{current.Statements.Count} statement(s) after the last INSERT INTO \"{HistoryTable}\" belong to no migration",
                "import the script as dotnet ef migrations script writes it (each migration ends with its history insert)"));
        }
        if (done.Count == 0 && problems.All(p => p.Severity != Severity.Error))
        {
            problems.Add(new MigrationProblem(Severity.Error, "ef-no-migrations", path, 1, 1,
                $"no INSERT INTO \"{HistoryTable}\": this does not look like the output of dotnet ef migrations script",
                "generate it with: dotnet ef migrations script -o FILE (or --idempotent)"));
        }
        foreach (var duplicate in done.GroupBy(d => d.Id!).Where(g => g.Count() > 1))
        {
            problems.Add(new MigrationProblem(Severity.Error, "ef-duplicate-migration", path, duplicate.ElementAt(1).Line, 1,
                $"migration {duplicate.Key} is recorded twice", "generate the script again with dotnet ef migrations script"));
        }
        Importer.ThrowIfErrors("nothing was imported", problems);

        var converted = new List<ImportedMigration>();
        var notes = problems.Where(p => p.Severity == Severity.Warning).ToList();
        foreach (var migration in done)
        {
            var (id, line, statements) = (migration.Id!, migration.Line, migration.Statements);
            var match = MigrationId().Match(id);
            var sb = new StringBuilder(ImportOrigin.Header(ImportSource.Ef, fileName, id)).Append('\n');
            sb.Append("-- stepwise:up\n");
            if (migration.OutsideTransactionLine > 0)
            {
                sb.Append("-- stepwise:no-transaction\n");
                notes.Add(new MigrationProblem(Severity.Warning, "ef-suppress-transaction", path, migration.OutsideTransactionLine, 1,
                    $"EF runs this statement of {id} outside a transaction (suppressTransaction), so the migration is imported with -- stepwise:no-transaction: each statement commits on its own, resumably",
                    "if the other statements must be atomic, move them into a migration of their own"));
            }
            sb.Append(string.Join("\n\n", statements.Select(s => s + ";"))).Append('\n');
            if (statements.Count == 0)
            {
                notes.Add(new MigrationProblem(Severity.Warning, "ef-empty-migration", path, line, 1,
                    $"migration {id} has no statements; imported as a migration that only runs SELECT 1", null));
                sb.Append("SELECT 1; -- EF's migration had no statements\n");
            }
            converted.Add(new ImportedMigration($"{match.Groups["version"].Value}_{Importer.SafeName(match.Groups["name"].Value)}.sql", sb.ToString(),
                $"migration {id} ({fileName}:{line})", id, statements.Count));
        }
        notes.Add(new MigrationProblem(Severity.Warning, "ef-no-down", path, 0, 0,
            "EF scripts hold only the up direction, so the imported migrations have no down sections",
            "to roll back, write -- stepwise:down sections (dotnet ef migrations script <later> <earlier> prints EF's revert SQL)"));
        return new ImportResult(ImportSource.Ef, path, converted, notes);
    }

    private static MigrationProblem RevertScript(string path, int line, int column) =>
        new(Severity.Error, "ef-revert-script", path, line, column,
            $"this script removes migrations from {HistoryTable}: it reverts migrations rather than applying them",
            "import a script that applies them: dotnet ef migrations script (from 0, or from the first migration to import)");

    private static void Close(Pending current, string? id, string path, int line, int column, List<Pending> done, List<MigrationProblem> problems)
    {
        if (id is null || !MigrationId().IsMatch(id))
        {
            problems.Add(new MigrationProblem(Severity.Error, "ef-bad-migration-id", path, line, column,
                $"'{id}' is not an EF migration id (<14-digit timestamp>_<name>)", "generate the script with dotnet ef migrations script"));
            return;
        }
        if (current.Id is not null && current.Id != id)
        {
            problems.Add(new MigrationProblem(Severity.Error, "ef-mixed-migrations", path, line, column,
                $"migration {id} is recorded after statements of migration {current.Id}", "import the script as dotnet ef migrations script writes it"));
        }
        current.Id = id;
        if (current.Statements.Count == 0)
        {
            current.Line = line;
        }
        done.Add(current);
    }

    /// <summary>The unqualified table a statement writes to.</summary>
    private static string? Target(SqlNode root) => root.Node("relation", "RangeVar").String("relname");

    /// <summary>The first string constant in the statement (the MigrationId of a history insert or check).</summary>
    private static string? FirstString(SqlNode root) =>
        root.Descendants().Where(n => n.Kind == "A_Const").Select(n => n.Node("sval", "String").String("sval")).FirstOrDefault(s => s is not null);

    private sealed record Wrapped(string Id, IReadOnlyList<(string Sql, StatementTree? Tree)> Statements);

    /// <summary>
    /// EF's idempotent wrapper: a DO block whose body is exactly
    /// <c>IF NOT EXISTS(SELECT 1 FROM "__EFMigrationsHistory" WHERE "MigrationId" = 'id') THEN stmt; ... END IF;</c>.
    /// Any other DO block is an ordinary statement of the migration (null).
    /// </summary>
    private static Wrapped? Unwrap(SqlScript script, SqlStatement statement, string path, List<MigrationProblem> problems)
    {
        var body = PlpgsqlParser.Parse(script, statement);
        if (body is null || body.Error is not null || !statement.Text.Contains(HistoryTable, StringComparison.Ordinal))
        {
            return null;
        }
        var ifs = new List<JsonElement>();
        Find(body.Functions, "PLpgSQL_stmt_if", ifs);
        var blockBody = new List<JsonElement>();
        Find(body.Functions, "PLpgSQL_stmt_block", blockBody);
        // PL/pgSQL adds an implicit RETURN at the end of the block.
        if (ifs.Count != 1 || blockBody.Count != 1 || !blockBody[0].TryGetProperty("body", out var top)
            || top.EnumerateArray().Count(item => !item.TryGetProperty("PLpgSQL_stmt_return", out _)) != 1
            || ifs[0].TryGetProperty("elsif_list", out _) || ifs[0].TryGetProperty("else_body", out _))
        {
            Unrecognised(statement, path, problems);
            return null;
        }
        var condition = Query(ifs[0], "cond");
        var check = condition is null ? null : SqlParser.Parse("SELECT " + condition);
        var checkRoot = check is { IsValid: true, Statements.Count: 1 } ? check.Statements[0].Tree?.Root : null;
        var id = checkRoot is null ? null : FirstString(checkRoot.Value);
        if (id is null || checkRoot is null || !checkRoot.Value.Relations().Any(r => r.Name == HistoryTable))
        {
            Unrecognised(statement, path, problems);
            return null;
        }
        var inner = new List<(string, StatementTree?)>();
        foreach (var item in ifs[0].TryGetProperty("then_body", out var then) ? then.EnumerateArray() : default)
        {
            var sql = item.TryGetProperty("PLpgSQL_stmt_execsql", out var exec) ? Query(exec, "sqlstmt") : null;
            if (sql is null)
            {
                Unrecognised(statement, path, problems);
                return null;
            }
            var parsed = SqlParser.Parse(sql);
            inner.Add((sql, parsed.IsValid && parsed.Statements.Count == 1 ? parsed.Statements[0].Tree : null));
        }
        return new Wrapped(id, inner);
    }

    private static void Unrecognised(SqlStatement statement, string path, List<MigrationProblem> problems) =>
        problems.Add(new MigrationProblem(Severity.Warning, "ef-do-kept", path, statement.Span.StartLine, statement.Span.StartColumn,
            $"a DO block mentions {HistoryTable} but is not EF's idempotent wrapper; kept as written", "check the imported migration by hand"));

    private static void Find(JsonElement element, string name, List<JsonElement> found)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name == name)
                {
                    found.Add(property.Value);
                }
                Find(property.Value, name, found);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Find(item, name, found);
            }
        }
    }

    private static string? Query(JsonElement statement, string field) =>
        statement.TryGetProperty(field, out var expr) && expr.TryGetProperty("PLpgSQL_expr", out var e) && e.TryGetProperty("query", out var q)
            ? q.GetString()
            : null;

    /// <summary>
    /// EF indents a wrapped statement's continuation lines by four spaces; removes that, unless a quoted
    /// string spans lines (its text must not change).
    /// </summary>
    private static string Dedent(string sql)
    {
        var multiLineQuote = false;
        SqlLexer.Scan(sql, 0, sql.Length, (kind, from, to) =>
        {
            multiLineQuote |= kind == SqlLexer.Segment.Quoted && sql.AsSpan(from, to - from).Contains('\n');
            return !multiLineQuote;
        });
        var lines = sql.Split('\n');
        if (multiLineQuote || lines.Length == 1)
        {
            return sql.Trim();
        }
        var indent = lines.Skip(1).Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart(' ').Length).DefaultIfEmpty(0).Min();
        indent = Math.Min(indent, 4);
        return string.Join('\n', lines.Select((l, i) => i == 0 || l.Length < indent ? l.TrimEnd() : l[indent..].TrimEnd())).Trim();
    }

    [GeneratedRegex(@"^(?<version>\d{14})_(?<name>.+)$")]
    private static partial Regex MigrationId();
}
