using Stepwise.Sql;

namespace Stepwise.Linting;

/// <summary>How to lint: per-rule severities, what to assume about transactions, what is known about the database.</summary>
public sealed class LintOptions
{
    /// <summary>Per-rule severity overrides (<see cref="LintSeverity.Off"/> turns a rule off).</summary>
    public IDictionary<string, LintSeverity> Severities { get; } = new Dictionary<string, LintSeverity>(StringComparer.Ordinal);

    /// <summary>For plain SQL files: assume the whole file runs in one transaction (as most tools run them).</summary>
    public bool AssumeInTransaction { get; set; }

    /// <summary>The PostgreSQL major version the migrations target (default 15).</summary>
    public int PostgresVersion { get; set; } = 15;

    /// <summary>Tables with fewer estimated rows than this are "small": size-dependent findings drop to info.</summary>
    public long SmallTableRows { get; set; } = 10_000;

    /// <summary>Table sizes read from a database, when linting with one.</summary>
    public IReadOnlyDictionary<RelationName, TableSize>? TableSizes { get; set; }

    /// <summary>
    /// Cost per row of a table rewrite or full scan under lock, for the estimate in messages; the
    /// default is what a rewrite of a narrow table costs on a small server (see docs/benchmarks.md).
    /// </summary>
    public TimeSpan RewriteCostPerRow { get; set; } = TimeSpan.FromMicroseconds(1.5);
}
