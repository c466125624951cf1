namespace Stepwise.Linting;

/// <summary>How big a table is, from the catalog's estimates (<c>reltuples</c>, <c>pg_total_relation_size</c>).</summary>
/// <param name="Rows">Estimated rows (-1 when never analyzed and the table is not empty).</param>
/// <param name="Bytes">Total size on disk, indexes and TOAST included.</param>
public readonly record struct TableSize(long Rows, long Bytes)
{
    /// <summary>e.g. <c>~2.3M rows, 1.2 GB</c>.</summary>
    public override string ToString() => $"~{Human(Rows)} rows, {Bytes / 1024.0 / 1024.0:F0} MB";

    private static string Human(long n) => n switch
    {
        < 0 => "?",
        < 10_000 => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
        < 1_000_000 => $"{n / 1000.0:F0}k",
        < 1_000_000_000 => $"{n / 1_000_000.0:F1}M",
        _ => $"{n / 1_000_000_000.0:F1}G",
    };
}
