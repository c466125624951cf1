using Microsoft.Extensions.Logging;

namespace Stepwise.Embedded;

/// <summary>How <see cref="TempPostgres.StartAsync"/> finds, creates and runs a throwaway server.</summary>
public sealed class TempPostgresOptions
{
    /// <summary>
    /// Directory holding <c>initdb</c> and <c>postgres</c>. When set it must hold them (no other place is tried).
    /// When null: the <c>STEPWISE_PG_BIN</c> environment variable, <c>pg_config --bindir</c>, the newest
    /// <c>/usr/lib/postgresql/&lt;major&gt;/bin</c>, then PATH.
    /// </summary>
    public string? BinDirectory { get; set; }

    /// <summary>
    /// Directory for instances and the template cache. When null: the <c>STEPWISE_PG_ROOT</c> environment
    /// variable, else <c>stepwise-pg</c> in the system temporary directory.
    /// </summary>
    public string? RootDirectory { get; set; }

    /// <summary>
    /// Copy a cached, pristine cluster instead of running <c>initdb</c> on every start (the first start creates
    /// the cache). Default true.
    /// </summary>
    public bool UseTemplate { get; set; } = true;

    /// <summary>How long to wait for the server to accept connections. Default 30 seconds.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Extra server settings (<c>postgres -c name=value</c>), applied after the defaults (<c>fsync</c>,
    /// <c>synchronous_commit</c> and <c>full_page_writes</c> off), so they can override them. The address,
    /// port and socket directory are always chosen by <see cref="TempPostgres"/>.
    /// </summary>
    public IDictionary<string, string> Settings { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Receives diagnostics (what was found, created, started, stopped and swept). Default: none.</summary>
    public ILogger? Logger { get; set; }
}
