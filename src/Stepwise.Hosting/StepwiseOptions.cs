using System.Reflection;
using Stepwise.Execution;
using Stepwise.Instances;

namespace Stepwise.Hosting;

/// <summary>What Stepwise does while the application starts, before it serves traffic.</summary>
public enum StepwiseStartupMode
{
    /// <summary>Apply nothing; refuse to start when anything is pending, failed, partial or modified, or a required column is missing.</summary>
    RequireUpToDate,

    /// <summary>
    /// Apply pending migrations under the migration lock (one instance applies, the others wait and then find
    /// nothing to do), then check as <see cref="RequireUpToDate"/> does.
    /// </summary>
    Apply,

    /// <summary>
    /// Do nothing at start-up (the health check still reports): no check, and no instance registration, so
    /// <c>stepwise complete</c> does not see this instance. A bound data source still finds its version when first used.
    /// </summary>
    None,
}

/// <summary>
/// How the application reaches its database and its migrations. Bound from the <c>Stepwise</c> configuration
/// section (<see cref="SectionName"/>), then changed by the delegate given to <c>AddStepwise</c>.
/// </summary>
public sealed class StepwiseOptions
{
    /// <summary>The configuration section the options are read from.</summary>
    public const string SectionName = "Stepwise";

    /// <summary>
    /// The database: an Npgsql connection string or a <c>postgres://</c> URL. When empty, the <c>NpgsqlDataSource</c>
    /// registered in the service provider is used (its password included, although its <c>ConnectionString</c> hides it).
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The migration directory (default <c>migrations</c>): a folder, relative to the content root unless rooted;
    /// with <see cref="MigrationsAssembly"/>, the resource name prefix of the embedded files.
    /// </summary>
    public string Directory { get; set; } = "migrations";

    /// <summary>
    /// When set, migrations are read from this assembly's embedded resources named <c>&lt;Directory&gt;/&lt;file&gt;</c>
    /// (see <see cref="UseEmbeddedMigrations"/>), so the application ships them inside itself. In configuration: the assembly's name.
    /// </summary>
    public Assembly? MigrationsAssembly { get; set; }

    /// <summary>Schema holding Stepwise's history (default <c>stepwise</c>).</summary>
    public string StateSchema { get; set; } = "stepwise";

    /// <summary><c>lock_timeout</c> for backfill batches when applying (default 2 s). In configuration: <c>5s</c>, <c>250ms</c> or <c>00:00:05</c>.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The first lock_timeout of a lock-taking statement when applying (default 50 ms); see <see cref="MigratorOptions.StepLockTimeout"/>.</summary>
    public TimeSpan FirstLockTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest lock_timeout, the worst wait a client sees behind a migration statement (default 1 s); see <see cref="MigratorOptions.MaxLockWait"/>.</summary>
    public TimeSpan MaxLockWait { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one statement keeps trying to get its locks before start-up fails, resumable (default 30 min).</summary>
    public TimeSpan LockDeadline { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Cancel an autovacuum holding a conflicting lock, as PostgreSQL would after deadlock_timeout (default true).</summary>
    public bool CancelAutovacuum { get; set; } = true;

    /// <summary>When set, sessions idle in transaction longer than this that hold a conflicting lock are terminated (default: never).</summary>
    public TimeSpan? TerminateIdleInTransactionAfter { get; set; }

    /// <summary>
    /// How backfills run when applying (<see cref="Stepwise.Execution.Backfill.BackfillOptions"/>: batch target, pause,
    /// rate limit and throttles). The application's latency: set <c>ClientLatency</c> to read it from the application's own
    /// metrics, or <c>ClientLatencyQuery</c> to a query. In configuration, the <c>Backfill</c> section: <c>BatchTime</c>,
    /// <c>Pause</c>, <c>MaxRowsPerSecond</c>, <c>MaxReplicationLag</c>, <c>WaitWhileVacuumed</c>, <c>VacuumAsItGoes</c>, <c>MaxWalBytesPerSecond</c>,
    /// <c>MaxSnapshotAge</c>, <c>LatencyQuery</c>, <c>MaxLatency</c>.
    /// </summary>
    public Stepwise.Execution.Backfill.BackfillOptions Backfill { get; set; } = new();

    /// <summary>What happens at start-up (default <see cref="StepwiseStartupMode.RequireUpToDate"/>).</summary>
    public StepwiseStartupMode Mode { get; set; } = StepwiseStartupMode.RequireUpToDate;

    /// <summary>
    /// How the application's connections select its schema version (default <see cref="BindingMode.SearchPath"/>): the
    /// <c>NpgsqlDataSource</c> registered before <c>AddStepwise</c> (or by <c>AddStepwiseDataSource</c>) connects through
    /// the version schema of the newest migration the application ships, when that schema exists. <see cref="BindingMode.Role"/>
    /// logs in as the version's role instead (connection poolers); <see cref="BindingMode.None"/> leaves connections alone.
    /// </summary>
    public BindingMode Binding { get; set; } = BindingMode.SearchPath;

    /// <summary>The schema holding the application's tables, which version schemas are named after (default <c>public</c>).</summary>
    public string Schema { get; set; } = "public";

    /// <summary>
    /// With <see cref="BindingMode.Role"/>: the pattern naming a version's role, <c>{version}</c> the migration's version and
    /// <c>{name}</c> its name (<c>app_{version}</c>); the same pattern <c>stepwise</c> is given (<c>instances.versionRole</c>).
    /// </summary>
    public string? VersionRole { get; set; }

    /// <summary>
    /// Register this instance and its schema version in the state schema, with a heartbeat, so <c>stepwise complete</c>
    /// waits for it to stop before removing what it uses (default true). The application's role needs to write
    /// <c>&lt;StateSchema&gt;.instances</c>; when it cannot, start-up refuses and says so.
    /// </summary>
    public bool RegisterInstance { get; set; } = true;

    /// <summary>How often a registered instance renews its heartbeat (default 5 s).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long after its last heartbeat an instance that vanished without removing itself still counts as alive (default 30 s).</summary>
    public TimeSpan InstanceTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The name the instance registers under (default: the entry assembly's name).</summary>
    public string? ApplicationName { get; set; }

    /// <summary>
    /// Tables and columns the application needs; start-up and the health check fail when one is missing. In
    /// configuration: <c>"Require": { "workflow_runs": ["id", "organization_id"] }</c>.
    /// </summary>
    public IList<RequiredTable> RequiredTables { get; } = [];

    /// <summary>Declares that the application needs <paramref name="table"/> (<c>schema.name</c> or <c>name</c>) with <paramref name="columns"/>.</summary>
    public StepwiseOptions Require(string table, params string[] columns)
    {
        RequiredTables.Add(new RequiredTable(table, columns));
        return this;
    }

    /// <summary>
    /// Reads migrations from <paramref name="assembly"/>'s embedded resources under <paramref name="directory"/>,
    /// embedded in its project with <c>&lt;EmbeddedResource Include="migrations/*" LogicalName="migrations/%(Filename)%(Extension)" /&gt;</c>.
    /// </summary>
    public StepwiseOptions UseEmbeddedMigrations(Assembly assembly, string directory = "migrations")
    {
        MigrationsAssembly = assembly;
        Directory = directory;
        return this;
    }
}
