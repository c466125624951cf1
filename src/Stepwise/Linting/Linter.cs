using System.Text.RegularExpressions;
using Stepwise.Linting.Rules;
using Stepwise.Migrations;
using Stepwise.Sql;

namespace Stepwise.Linting;

/// <summary>The findings for one file.</summary>
/// <param name="File">The file as named in findings.</param>
/// <param name="Findings">Every finding not turned off or ignored, in line order.</param>
/// <param name="Statements">How many statements were linted (embedded ones included).</param>
public sealed record LintResult(string File, IReadOnlyList<LintFinding> Findings, int Statements);

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
        var script = SqlParser.ParseFile(text, fileName, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        var source = script.Source;
        foreach (var error in script.Errors)
        {
            findings.Add(new LintFinding
            {
                RuleId = SyntaxErrorId, Severity = LintSeverity.Error, File = fileName, Line = error.Line, Column = error.Column, EndLine = error.Line,
                Message = error.Message, Fix = error.Hint, Excerpt = error.Excerpt,
            });
        }

        var units = IsStepwiseMigration(text) ? MigrationUnits(script, fileName) : PlainUnits(script);
        var ignores = Ignores.Read(source, _rules, findings);
        var context = new LintContext(fileName, plainSql: units.Plain, _options, (rule, statement, message, sized, severity) =>
            Add(findings, rule, statement, message, sized, severity, source, ignores));

        var bodies = ReadTrees(script, units.Statements, cancellationToken);
        var index = 0;
        for (var u = 0; u < units.Statements.Count; u++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var unit = units.Statements[u];
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
        return new LintResult(fileName, [.. findings.OrderBy(f => f.Line).ThenBy(f => f.Column).ThenBy(f => f.RuleId, StringComparer.Ordinal)], index);
    }

    /// <summary>Statements from which a long file is read on every core (below, one thread: a directory's files already share the cores).</summary>
    private const int ParallelStatements = 256;

    /// <summary>
    /// Reads every statement's tree, the facts rules ask of it, and its PL/pgSQL body (with theirs), before the rules run:
    /// the rules go in file order (they look back at earlier statements), this part needs no order, so a long file
    /// does it on every core.
    /// </summary>
    private static IReadOnlyList<EmbeddedStatement>?[] ReadTrees(SqlScript script, IReadOnlyList<Unit> units, CancellationToken cancellationToken)
    {
        // Only the statements of a body are kept, not the parser's tree of the whole body.
        var bodies = new IReadOnlyList<EmbeddedStatement>?[units.Count];
        void Read(int i)
        {
            var statement = units[i].Statement;
            statement.Tree!.Prepare();
            if (PlpgsqlParser.Parse(script, statement) is { } body)
            {
                foreach (var embedded in body.Statements)
                {
                    embedded.Tree?.Prepare();
                }
                bodies[i] = body.Statements;
            }
        }
        if (units.Count < ParallelStatements)
        {
            for (var i = 0; i < units.Count; i++)
            {
                Read(i);
            }
        }
        else
        {
            Parallel.For(0, units.Count, new ParallelOptions { CancellationToken = cancellationToken }, Read);
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

    private sealed record Units(IReadOnlyList<Unit> Statements, bool Plain);

    private static bool IsStepwiseMigration(string text) => MigrationMarker().IsMatch(text);

    /// <summary>A Stepwise (or dbmate) migration: each section runs in one transaction unless it cannot.</summary>
    private static Units MigrationUnits(SqlScript script, string fileName)
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
        return new Units(units, Plain: false);
    }

    /// <summary>Plain SQL: autocommit, except between BEGIN and COMMIT (or throughout, when assumed).</summary>
    private Units PlainUnits(SqlScript script)
    {
        var units = new List<Unit>();
        var group = 0;
        var inBlock = false;
        foreach (var statement in script.Statements.Where(s => s.Kind == StatementKind.Sql && s.Tree is not null))
        {
            var kind = statement.Tree!.Root.Kind == "TransactionStmt" ? statement.Tree.Root.String("kind") : null;
            if (kind is "TRANS_STMT_BEGIN" or "TRANS_STMT_START")
            {
                inBlock = true;
                group++;
            }
            var inTransaction = _options.AssumeInTransaction || inBlock;
            units.Add(new Unit(statement, inTransaction, _options.AssumeInTransaction ? 0 : inBlock ? group : ++group));
            if (kind is "TRANS_STMT_COMMIT" or "TRANS_STMT_ROLLBACK" or "TRANS_STMT_PREPARE")
            {
                inBlock = false;
                group++;
            }
        }
        return new Units(units, Plain: true);
    }

    [GeneratedRegex(@"^\s*--\s*(stepwise|migrate):up\b", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex MigrationMarker();
}
