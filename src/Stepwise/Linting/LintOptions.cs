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

    /// <summary>Foreign keys read from a database, when linting with one: messages then name the referenced tables a statement locks too.</summary>
    public Planning.ForeignKeys? ForeignKeys { get; set; }

    /// <summary>
    /// Cost per row of each kind of work under a lock, for the estimate in messages. The defaults are
    /// twice what <c>bench/Stepwise.Bench rewrite-cost</c> measured on a small server with fsync off
    /// (see docs/benchmarks.md), rounded up for WAL and durability on a real one.
    /// </summary>
    public IDictionary<LockedWork, TimeSpan> CostPerRow { get; } = new Dictionary<LockedWork, TimeSpan>
    {
        [LockedWork.Rewrite] = TimeSpan.FromMicroseconds(1.6),
        [LockedWork.IndexBuild] = TimeSpan.FromMicroseconds(1.1),
        [LockedWork.Scan] = TimeSpan.FromMicroseconds(0.15),
    };
}
