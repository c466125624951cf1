using System.Text.RegularExpressions;
using Stepwise.Linting.Rules;
using Stepwise.Migrations;
using Stepwise.Sql;

namespace Stepwise.Linting;

/// <summary>The findings for one file.</summary>
/// <param name="File">The file as named in findings.</param>
/// <param name="Findings">Every finding not turned off or ignored, in line order.</param>
/// <param name="Statements">How many statements were linted (embedded ones included).</param>
public sealed record LintResult(string File, IReadOnlyList<LintFinding> Findings, int Statements)
{
    /// <summary>True for a later part of a file whose findings are reported in parts (<see cref="Linter.Lint(string, string, Action{IReadOnlyList{LintFinding}}, CancellationToken)"/>).</summary>
    internal bool Continues { get; init; }
}

/// <summary>
/// Runs every rule over every statement of a file — Stepwise migrations (sections, their transaction
/// mode) and plain SQL (explicit BEGIN/COMMIT, or <see cref="LintOptions.AssumeInTransaction"/>) —
/// including statements inside DO blocks and PL/pgSQL functions, and applies configuration, table
/// sizes and inline ignores.
/// </summary>
public sealed partial class Linter
{
    /// <summary>Every rule, ordered by id.</summary>
    /// <remarks>Listed here rather than found by reflection, so that trimming and Native AOT keep every rule; a unit test
    /// (LinterTests) fails when a rule type is missing from this list.</remarks>
    public static IReadOnlyList<LintRule> AllRules { get; } = [.. new LintRule[]
    {
        new AddingExclusionConstraint(),
        new AddingFieldWithVolatileDefault(),
        new AddingForeignKeyConstraint(),
        new AddingGeneratedStoredColumn(),
        new AddingPrimaryKey(),
        new AddingRequiredField(),
        new AddingUniqueConstraint(),
        new AlterDomainAddConstraint(),
        new BanCharField(),
        new ChangingColumnType(),
        new Cluster(),
        new CommitInsideTransaction(),
        new ConcurrentInTransaction(),
        new ConstraintMissingNotValid(),
        new DropColumn(),
        new DropDatabase(),
        new DropNotNull(),
        new DropSchema(),
        new DropTable(),
        new EnumValueWithoutPosition(),
        new IdentifierTooLong(),
        new LockTable(),
        new PreferBigintOverInt(),
        new PreferIdentity(),
        new PreferJsonb(),
        new PreferRobustStatements(),
        new PreferTextField(),
        new PreferTimestamptz(),
        new RefreshMaterializedView(),
        new RenamingColumn(),
        new RenamingTable(),
        new RequireConcurrentIndexCreation(),
        new RequireConcurrentIndexDeletion(),
        new RequireConcurrentPartitionDetach(),
        new RequireConcurrentReindex(),
        new RequireLockTimeout(),
        new SettingNotNull(),
        new TransactionControl(),
        new Truncate(),
        new TruncateCascade(),
        new UnbatchedDataChange(),
        new VacuumFull(),
        new ValidateInSameTransaction(),
    }.OrderBy(r => r.Id, StringComparer.Ordinal)];

    /// <summary>Ids that are findings of the linter itself, not of a rule.</summary>
    public static readonly IReadOnlyList<string> BuiltInIds = [SyntaxErrorId, BadIgnoreId, UnreadableFileId];

    internal const string SyntaxErrorId = "syntax-error";
    internal const string BadIgnoreId = "bad-ignore";

    /// <summary>The id of findings for files that cannot be linted at all (binary, not UTF-8).</summary>
    public const string UnreadableFileId = "unreadable-file";

    private readonly LintOptions _options;
    private readonly IReadOnlyList<LintRule> _rules;

    /// <summary>Bytes of plain SQL parsed and linted at a time (a window is at least this, in whole statements; tests make it small).</summary>
    internal int WindowBytes { get; init; } = SqlParser.ScriptRun.ChunkBytes;

    /// <summary>A linter with every rule.</summary>
    public Linter(LintOptions? options = null) : this(options, AllRules)
    {
    }

    /// <summary>A linter with the given rules only (tests, focused runs).</summary>
    public Linter(LintOptions? options, IReadOnlyList<LintRule> rules)
    {
        _options = options ?? new LintOptions();
        _rules = rules;
    }

    /// <summary>Lints one file's text. Never throws for bad SQL: a syntax error is a finding.</summary>
    /// <remarks>
    /// Cost is linear in the text. <paramref name="cancellationToken"/> is checked between parser calls and
    /// statements; a single call into PostgreSQL's parser cannot be interrupted (about a second per MiB).
    /// </remarks>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public LintResult Lint(string text, string fileName, CancellationToken cancellationToken = default)
    {
        var findings = new List<LintFinding>();
        var statements = Lint(text, fileName, findings.AddRange, cancellationToken);
        return new LintResult(fileName, findings, statements);
    }

    /// <summary>
    /// Lints one file's text, handing its findings to <paramref name="write"/> in order (line, column, rule id) a batch
    /// at a time, as soon as no later statement can report before them; returns how many statements were linted.
    /// </summary>
    /// <remarks>
    /// Plain SQL is parsed and linted in windows of whole statements (<see cref="SqlParser.ParseInWindows"/>), the next
    /// windows parsed on other cores while the rules run over this one, in file order: a long file holds the trees of a
    /// few windows, not of every statement, and rules that look back at earlier statements keep only the facts they need
    /// (<see cref="LintContext"/>). A Stepwise migration (sections, read whole by the migration reader) is one window.
    /// </remarks>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    internal int Lint(string text, string fileName, Action<IReadOnlyList<LintFinding>> write, CancellationToken cancellationToken)
    {
        var queue = new FindingQueue(write);
        int statements;
        if (IsStepwiseMigration(text))
        {
            var script = SqlParser.ParseFile(text, fileName, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            queue.AddSyntaxErrors(script.Errors, ofWholeText: false);
            var units = MigrationUnits(script, fileName);
            var context = Start(script.Source, plainSql: false, queue);
            statements = 0;
            LintUnits(units, ReadTrees(script.Source, units.Select(u => u.Statement).ToList(), cancellationToken), context, ref statements, cancellationToken);
        }
        else
        {
            statements = LintPlain(text, fileName, queue, cancellationToken);
        }
        queue.Flush(int.MaxValue);
        return statements;
    }

    private LintContext Start(SourceText source, bool plainSql, FindingQueue queue)
    {
        var ignores = Ignores.Read(source, _rules, queue.BadIgnores);
        return new LintContext(source.FileName, plainSql, _options, (rule, statement, message, sized, severity) =>
            Add(queue.RuleFindings, rule, statement, message, sized, severity, source, ignores));
    }

    private int LintPlain(string text, string fileName, FindingQueue queue, CancellationToken cancellationToken)
    {
        var windows = SqlParser.ParseInWindows(text, fileName, cancellationToken, WindowBytes);
        var source = windows.Source;
        queue.AddSyntaxErrors(windows.OtherErrors, ofWholeText: true);
        var context = Start(source, plainSql: true, queue);
        var transactions = new PlainTransactions(_options);
        var statements = 0;
        if (windows.Count == 1)
        {
            var (parsed, bodies) = ReadWindow(windows, 0, cancellationToken);
            LintWindow(parsed, bodies);
            return statements;
        }
        // Parsing and reading trees needs no order: the next windows are read on other cores while the rules, which go in
        // file order, run over this one. At most one window per core is read ahead, so a long file holds a few windows.
        var ahead = Math.Max(2, Environment.ProcessorCount);
        var pending = new Queue<Task<(IReadOnlyList<SqlStatement>, IReadOnlyList<EmbeddedStatement>?[])>>();
        var started = 0;
        for (var w = 0; w < windows.Count; w++)
        {
            while (started < windows.Count && pending.Count < ahead)
            {
                var next = started++;
                // Not cancelled as a task: cancellation surfaces as ReadWindow's own OperationCanceledException.
                pending.Enqueue(Task.Run(() => ReadWindow(windows, next, cancellationToken)));
            }
            var (parsed, bodies) = pending.Dequeue().GetAwaiter().GetResult();
            LintWindow(parsed, bodies);
            // Every statement of the windows after this one starts on this line or later: what came before can be written.
            queue.Flush(w + 1 < windows.Count ? windows.StartLine(w + 1) : int.MaxValue);
        }
        return statements;

        void LintWindow(IReadOnlyList<SqlStatement> parsed, IReadOnlyList<EmbeddedStatement>?[] bodies)
        {
            queue.AddSyntaxErrors(parsed.Select(s => s.Error).OfType<SqlError>(), ofWholeText: false);
            var units = new List<Unit>();
            var unitBodies = new List<IReadOnlyList<EmbeddedStatement>?>();
            for (var i = 0; i < parsed.Count; i++)
            {
                if (transactions.Next(parsed[i]) is { } unit)
                {
                    units.Add(unit);
                    unitBodies.Add(bodies[i]);
                }
            }
            LintUnits(units, unitBodies, context, ref statements, cancellationToken);
        }
    }

    /// <summary>One window's statements, each tree's facts read and its PL/pgSQL body (with theirs) parsed.</summary>
    private static (IReadOnlyList<SqlStatement>, IReadOnlyList<EmbeddedStatement>?[]) ReadWindow(SqlParser.ScriptWindows windows, int window, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var statements = windows.Parse(window);
        var bodies = ReadTrees(windows.Source, statements, cancellationToken, parallel: windows.Count == 1);
        return (statements, bodies);
    }

    private void LintUnits(IReadOnlyList<Unit> units, IReadOnlyList<IReadOnlyList<EmbeddedStatement>?> bodies, LintContext context, ref int index, CancellationToken cancellationToken)
    {
        for (var u = 0; u < units.Count; u++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var unit = units[u];
            var lintStatement = new LintStatement(index++, unit.Statement.Tree!, unit.Statement.Text, unit.Statement.Span.StartLine, unit.Statement.Span.StartColumn,
                unit.Statement.Span.EndLine, unit.InTransaction, unit.Group, embedded: false, anchorLine: unit.Statement.Span.StartLine);
            Run(lintStatement, context);
            if (bodies[u] is { } body)
            {
                // A DO block runs in a transaction of its own; a function body runs whenever it is called, in the caller's.
                foreach (var embedded in body.Where(e => e.Tree is not null))
                {
                    Run(new LintStatement(index++, embedded.Tree!, embedded.Sql.Trim(), embedded.Line, 1, embedded.Line, inTransaction: true, unit.Group, embedded: true,
                        anchorLine: unit.Statement.Span.StartLine, inFunctionBody: unit.Statement.Tree!.Kind == "CreateFunctionStmt"), context);
                }
            }
        }
    }

    /// <summary>Statements from which a window is read on every core (below, one thread: a directory's files already share the cores).</summary>
    private const int ParallelStatements = 256;

    /// <summary>
    /// Reads the facts rules ask of every statement's tree, and its PL/pgSQL body (with theirs), before the rules run:
    /// the rules go in file order (they look back at earlier statements), this part needs no order.
    /// </summary>
    private static IReadOnlyList<EmbeddedStatement>?[] ReadTrees(SourceText source, IReadOnlyList<SqlStatement> statements, CancellationToken cancellationToken, bool parallel = true)
    {
        // Only the statements of a body are kept, not the parser's tree of the whole body.
        var bodies = new IReadOnlyList<EmbeddedStatement>?[statements.Count];
        void Read(int i)
        {
            var statement = statements[i];
            if (statement.Tree is null)
            {
                return;
            }
            statement.Tree.Prepare();
            if (PlpgsqlParser.Parse(source, statement) is { } body)
            {
                foreach (var embedded in body.Statements)
                {
                    embedded.Tree?.Prepare();
                }
                bodies[i] = body.Statements;
            }
        }
        if (!parallel || statements.Count < ParallelStatements)
        {
            for (var i = 0; i < statements.Count; i++)
            {
                Read(i);
            }
        }
        else
        {
            Parallel.For(0, statements.Count, new ParallelOptions { CancellationToken = cancellationToken }, Read);
        }
        return bodies;
    }

    private void Run(LintStatement statement, LintContext context)
    {
        foreach (var rule in _rules)
        {
            if (Severity(rule) == LintSeverity.Off)
            {
                continue;
            }
            context.CurrentRule = rule;
            rule.Check(statement, context);
        }
        context.CurrentRule = null;
        context.Advance(statement);
    }

    private LintSeverity Severity(LintRule rule) => _options.Severities.TryGetValue(rule.Id, out var configured) ? configured : rule.DefaultSeverity;

    private void Add(List<LintFinding> findings, LintRule rule, LintStatement statement, string message, (RelationName Table, TableSize Size)? sized, LintSeverity? severity,
        SourceText source, Ignores ignores)
    {
        if (ignores.Covers(rule.Id, statement.AnchorLine))
        {
            return;
        }
        var level = _options.Severities.TryGetValue(rule.Id, out var configured) ? configured : severity ?? rule.DefaultSeverity;
        if (sized is var (relation, size))
        {
            var estimate = TimeSpan.FromTicks((long)(_options.CostPerRow[rule.Work].Ticks * (double)Math.Max(0, size.Rows)));
            message += rule.ScalesWithTableSize
                ? $" ({relation}: {size}; the lock would be held for roughly {Describe(estimate)}, an estimate)"
                : $" ({relation}: {size})";
            if (rule.ScalesWithTableSize && size.Rows >= 0 && size.Rows < _options.SmallTableRows && level > LintSeverity.Info)
            {
                level = LintSeverity.Info;
            }
        }
        if (level == LintSeverity.Off)
        {
            return;
        }
        findings.Add(new LintFinding
        {
            RuleId = rule.Id, Severity = level, File = source.FileName, Line = statement.Line, Column = statement.Column, EndLine = statement.EndLine,
            Message = message, Fix = rule.FixExampleFor(statement) is { } example ? $"{rule.Fix}\n{example}" : rule.Fix, Excerpt = source.Excerpt(statement.Line, statement.Column), Statement = statement.Text,
        });
    }

    private static string Describe(TimeSpan t) => t.TotalSeconds switch
    {
        < 1 => "under a second",
        < 120 => $"{t.TotalSeconds:F0} s",
        < 7200 => $"{t.TotalMinutes:F0} min",
        _ => $"{t.TotalHours:F1} h",
    };

    private sealed record Unit(SqlStatement Statement, bool InTransaction, int Group);

    private static bool IsStepwiseMigration(string text) => MigrationMarker().IsMatch(text);

    /// <summary>A Stepwise (or dbmate) migration: each section runs in one transaction unless it cannot.</summary>
    private static List<Unit> MigrationUnits(SqlScript script, string fileName)
    {
        var migration = MigrationFileReader.ReadStandalone(script, fileName);
        var units = new List<Unit>();
        var group = 0;
        foreach (var section in new[] { migration.Up, migration.Down }.OfType<MigrationSection>())
        {
            group++;
            foreach (var statement in section.Statements.Concat(section.Assertions.Select(a => a.Query)).OrderBy(s => s.Span.Start))
            {
                units.Add(new Unit(statement, section.RunsInTransaction, section.RunsInTransaction ? group : ++group));
            }
        }
        return units;
    }

    /// <summary>Plain SQL, statement by statement in file order: autocommit, except between BEGIN and COMMIT (or throughout, when assumed).</summary>
    private sealed class PlainTransactions(LintOptions options)
    {
        private int _group;
        private bool _inBlock;

        /// <summary>The statement with the transaction it runs in; null for one that is not linted (invalid, a meta-command).</summary>
        internal Unit? Next(SqlStatement statement)
        {
            if (statement.Kind != StatementKind.Sql || statement.Tree is null)
            {
                return null;
            }
            var kind = statement.Tree.Root.Kind == "TransactionStmt" ? statement.Tree.Root.String("kind") : null;
            if (kind is "TRANS_STMT_BEGIN" or "TRANS_STMT_START")
            {
                _inBlock = true;
                _group++;
            }
            var inTransaction = options.AssumeInTransaction || _inBlock;
            var unit = new Unit(statement, inTransaction, options.AssumeInTransaction ? 0 : _inBlock ? _group : ++_group);
            if (kind is "TRANS_STMT_COMMIT" or "TRANS_STMT_ROLLBACK" or "TRANS_STMT_PREPARE")
            {
                _inBlock = false;
                _group++;
            }
            return unit;
        }
    }

    /// <summary>
    /// A file's findings on their way out, in the order of a whole-file sort — syntax errors by offset, then bad ignores,
    /// then the rules' findings, sorted by line, column and rule id — but written as soon as nothing later can sort
    /// before them: the findings of a long file are not all held until its end.
    /// </summary>
    private sealed class FindingQueue(Action<IReadOnlyList<LintFinding>> write)
    {
        private readonly List<(int Offset, LintFinding Finding)> _syntax = [];
        private readonly List<(int Offset, LintFinding Finding)> _wholeTextSyntax = [];

        /// <summary>Findings of inline ignores (read before any statement).</summary>
        internal List<LintFinding> BadIgnores { get; } = [];

        /// <summary>The rules' findings, as reported.</summary>
        internal List<LintFinding> RuleFindings { get; } = [];

        internal void AddSyntaxErrors(IEnumerable<SqlError> errors, bool ofWholeText)
        {
            foreach (var error in errors)
            {
                (ofWholeText ? _wholeTextSyntax : _syntax).Add((error.Offset, new LintFinding
                {
                    RuleId = SyntaxErrorId, Severity = LintSeverity.Error, File = error.File, Line = error.Line, Column = error.Column, EndLine = error.Line,
                    Message = error.Message, Fix = error.Hint, Excerpt = error.Excerpt,
                }));
            }
        }

        /// <summary>Writes the findings on lines before <paramref name="beforeLine"/>: no finding still to come can be on one of them.</summary>
        internal void Flush(int beforeLine)
        {
            var batch = new List<LintFinding>();
            // A statement's errors come before the whole text's at the same offset, as SqlScript.Errors orders them.
            batch.AddRange(Take(_syntax, f => f.Finding.Line, beforeLine).Concat(Take(_wholeTextSyntax, f => f.Finding.Line, beforeLine))
                .OrderBy(f => f.Offset).Select(f => f.Finding));
            batch.AddRange(Take(BadIgnores, f => f.Line, beforeLine));
            batch.AddRange(Take(RuleFindings, f => f.Line, beforeLine));
            if (batch.Count > 0)
            {
                write([.. batch.OrderBy(f => f.Line).ThenBy(f => f.Column).ThenBy(f => f.RuleId, StringComparer.Ordinal)]);
            }
        }

        /// <summary>Removes and returns, in order, the items on lines before <paramref name="beforeLine"/>.</summary>
        private static List<T> Take<T>(List<T> items, Func<T, int> line, int beforeLine)
        {
            var taken = new List<T>();
            var kept = 0;
            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i];
                if (line(item) < beforeLine)
                {
                    taken.Add(item);
                }
                else
                {
                    items[kept++] = item;
                }
            }
            items.RemoveRange(kept, items.Count - kept);
            return taken;
        }
    }

    [GeneratedRegex(@"^\s*--\s*(stepwise|migrate):up\b", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex MigrationMarker();
}
