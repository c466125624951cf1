using Stepwise.Operations;
using Stepwise.Planning;
using Stepwise.Sql;

namespace Stepwise.Migrations;

/// <summary>The kinds of migration file.</summary>
public enum MigrationKind
{
    /// <summary><c>&lt;version&gt;_&lt;name&gt;.sql</c>: applied once, in version order.</summary>
    Versioned,

    /// <summary><c>R_&lt;name&gt;.sql</c>: applied after the versioned ones whenever its content changes.</summary>
    Repeatable,
}

/// <summary>Which way a section runs.</summary>
public enum SectionDirection
{
    /// <summary>The change.</summary>
    Up,

    /// <summary>Its undoing.</summary>
    Down,
}

/// <summary>A post-condition: a query that must return no rows, or one row holding <c>true</c>.</summary>
public sealed record MigrationAssertion(string Name, SqlStatement Query);

/// <summary>One section of a migration file: its statements, assertions and settings.</summary>
public sealed class MigrationSection
{
    internal MigrationSection(SectionDirection direction, int markerLine, IReadOnlyList<SqlStatement> statements,
        IReadOnlyList<MigrationAssertion> assertions, bool noTransactionDirective, TimeSpan? lockTimeout, TimeSpan? statementTimeout)
    {
        Direction = direction;
        MarkerLine = markerLine;
        Statements = statements;
        Assertions = assertions;
        NoTransactionDirective = noTransactionDirective;
        LockTimeout = lockTimeout;
        StatementTimeout = statementTimeout;
    }

    /// <summary>Up or down.</summary>
    public SectionDirection Direction { get; }

    /// <summary>The line of the section's marker (0 for a repeatable migration, which has none).</summary>
    public int MarkerLine { get; }

    /// <summary>The statements to run, in order (assertion queries are not among them).</summary>
    public IReadOnlyList<SqlStatement> Statements { get; }

    /// <summary>Post-conditions checked after the statements.</summary>
    public IReadOnlyList<MigrationAssertion> Assertions { get; }

    /// <summary>True when the file asks for statement-by-statement execution.</summary>
    public bool NoTransactionDirective { get; }

    /// <summary>The section's <c>lock_timeout</c>, when the file sets one.</summary>
    public TimeSpan? LockTimeout { get; }

    /// <summary>The section's <c>statement_timeout</c>, when the file sets one.</summary>
    public TimeSpan? StatementTimeout { get; }

    /// <summary>The first statement that must run outside a transaction block (PostgreSQL refuses it in one, or it commits by itself), if any.</summary>
    public SqlStatement? FirstNonTransactional => Statements.FirstOrDefault(s => s.Tree?.RunsOutsideTransaction == true);

    /// <summary>
    /// True when the section runs as one transaction: unless the file says no-transaction or a statement
    /// cannot run in one (then it runs statement by statement, resumable).
    /// </summary>
    public bool RunsInTransaction => !NoTransactionDirective && FirstNonTransactional is null;

    /// <summary>
    /// The section as plan steps: one <see cref="StepKind.Transaction"/> step holding every statement and assertion when
    /// it runs in one transaction; otherwise one step per statement (each in a transaction of its own with its progress
    /// record, or outside any for a statement that cannot run in one), then its assertions. Compiled once per section.
    /// </summary>
    public IReadOnlyList<Step> Steps => _steps ??= Compile();

    private IReadOnlyList<Step>? _steps;

    private List<Step> Compile()
    {
        var steps = Statements.Select(s => new Step
        {
            Description = $"{s.CommandTag} at line {s.Span.StartLine}",
            Sql = s.Text,
            InTransaction = s.Tree?.RunsOutsideTransaction != true,
            LockTarget = s.Tree?.Target?.Qualified,
            Done = s.Tree?.RunsOutsideTransaction == true ? DoneCheck.For(s.Tree) : null,
            Statement = s,
        }).Concat(Assertions.Select(a => new Step
        {
            Description = $"assertion '{a.Name}'",
            Kind = StepKind.Assert,
            Sql = a.Query.Text,
            Statement = a.Query,
        })).ToList();
        return RunsInTransaction
            ? [new Step { Description = $"{Statements.Count} statement(s) in one transaction", Kind = StepKind.Transaction, Group = steps }]
            : steps;
    }

    /// <summary>Why the section runs statement by statement, or null when it runs in one transaction.</summary>
    public string? WhyNoTransaction => NoTransactionDirective
        ? "the file says -- stepwise:no-transaction"
        : FirstNonTransactional is { } s
            ? s.Tree!.CannotRunInTransaction
                ? $"{s.CommandTag} at line {s.Span.StartLine} cannot run in a transaction"
                : $"{s.CommandTag} at line {s.Span.StartLine} commits or rolls back by itself, so it cannot run in a transaction"
            : null;
}

/// <summary>A migration file of the directory, read and checked.</summary>
public sealed class Migration
{
    internal Migration(MigrationKind kind, long version, string versionText, string name, string fileName, string path, string checksum)
    {
        Kind = kind;
        Version = version;
        VersionText = versionText;
        Name = name;
        FileName = fileName;
        Path = path;
        Checksum = checksum;
    }

    /// <summary>Versioned or repeatable.</summary>
    public MigrationKind Kind { get; }

    /// <summary>The version (0 for repeatable migrations).</summary>
    public long Version { get; }

    /// <summary>The version as written in the file name (leading zeros kept).</summary>
    public string VersionText { get; }

    /// <summary>The name part of the file name (<c>add_users</c> in <c>0002_add_users.sql</c>).</summary>
    public string Name { get; }

    /// <summary>The file name, e.g. <c>0002_add_users.sql</c>.</summary>
    public string FileName { get; }

    /// <summary>The full path of the file.</summary>
    public string Path { get; }

    /// <summary><c>sha256:</c> and the hex digest of the content with line endings normalised to LF.</summary>
    public string Checksum { get; }

    /// <summary>The parsed script; null when the directory was loaded without parsing.</summary>
    public SqlScript? Script { get; internal set; }

    /// <summary>The operations of an operation migration (<c>.yaml</c>, <c>.yml</c>, <c>.json</c>); null for SQL files, when not parsed, or when the file has errors.</summary>
    public OperationFile? Operations { get; internal set; }

    /// <summary>
    /// True for an operation migration (<c>.yaml</c>, <c>.yml</c>, <c>.json</c>): it has <see cref="Operations"/>
    /// and no SQL sections, so <see cref="Up"/> and <see cref="Down"/> are null.
    /// </summary>
    public bool IsOperationMigration => IsOperationFileName(FileName);

    /// <summary>The up section (the whole file for repeatable migrations); null when not parsed or missing, and for operation migrations.</summary>
    public MigrationSection? Up { get; internal set; }

    /// <summary>The down section, when the file has one.</summary>
    public MigrationSection? Down { get; internal set; }

    /// <summary><c>0002_add_users</c> or <c>R_views</c>: how messages name the migration.</summary>
    public string DisplayName => System.IO.Path.GetFileNameWithoutExtension(FileName);

    /// <summary>True when <paramref name="fileName"/> names an operation file (<c>.yaml</c>, <c>.yml</c>, <c>.json</c>, any case).</summary>
    internal static bool IsOperationFileName(string fileName) =>
        System.IO.Path.GetExtension(fileName).ToLowerInvariant() is ".yaml" or ".yml" or ".json";

    /// <inheritdoc />
    public override string ToString() => FileName;
}
