using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Stepwise.Connections;
using Stepwise.Execution;
using Stepwise.Instances;
using Stepwise.Migrations;

namespace Stepwise.Hosting;

/// <summary>
/// The application's database and migrations as the options describe them, resolved for the library: the
/// connection string (from the options, or from the <see cref="NpgsqlDataSource"/> in the service provider),
/// the migration source (a folder under the content root, or embedded resources), and the command that
/// brings the database up to date, printable (it never holds the password).
/// </summary>
internal sealed class StepwiseDatabase(IOptions<StepwiseOptions> options, IServiceProvider services)
{
    public StepwiseOptions Options => options.Value;

    /// <summary>Where the migrations are read from.</summary>
    public MigrationSource Source
    {
        get
        {
            var o = Options;
            if (o.MigrationsAssembly is { } assembly)
            {
                return MigrationSource.FromEmbeddedResources(assembly, o.Directory);
            }
            var root = services.GetService<IHostEnvironment>()?.ContentRootPath;
            return MigrationSource.FromDirectory(root is null || Path.IsPathRooted(o.Directory) ? o.Directory : Path.Combine(root, o.Directory));
        }
    }

    /// <summary>
    /// The connection string, password included: for connecting only. Resolved on every use, so a data source
    /// whose password provider rotates tokens gives a current one.
    /// </summary>
    public string ConnectionString
    {
        get
        {
            if (Options.ConnectionString is { Length: > 0 } configured)
            {
                return configured;
            }
            // The application's data source as it registered it, before Stepwise bound it to a version: Stepwise's own
            // connections (history, instances) use the tables' schema and the configured user.
            var dataSource = services.GetService<UnboundDataSource>()?.DataSource ?? services.GetService<NpgsqlDataSource>() ?? throw new InvalidOperationException(
                $"Stepwise has no database: set {StepwiseOptions.SectionName}:{nameof(StepwiseOptions.ConnectionString)} (or options.ConnectionString in AddStepwise), or register an NpgsqlDataSource");
            // NpgsqlDataSource.ConnectionString leaves the password out (unless Persist Security Info is set). A
            // connection cloned from one of its connections gets the password back, from the settings or from the
            // data source's password provider, which is what Npgsql offers for exactly this.
            using var connection = dataSource.CreateConnection();
            using var clone = connection.CloneWith(dataSource.ConnectionString);
            return clone.ConnectionString;
        }
    }

    private VersionBinding? _binding;

    /// <summary>What selects the application's version: the schema options, with the role pattern.</summary>
    public InstanceOptions InstanceOptions => new() { Schema = Options.Schema, VersionRole = Options.VersionRole };

    /// <summary>
    /// Finds the application's version and its version schema (start-up calls it once the database is ready, so a
    /// version schema created at start-up counts); later calls return the same answer.
    /// </summary>
    public async Task<VersionBinding> BindAsync(CancellationToken cancellationToken)
    {
        if (_binding is { } known)
        {
            return known;
        }
        var binding = await VersionBinding.ResolveAsync(ConnectionString, Source, InstanceOptions, Options.Binding, cancellationToken);
        return _binding ??= binding;
    }

    /// <summary>
    /// The binding, found now when start-up has not found it yet (a data source resolved before the host starts).
    /// Synchronous because dependency injection factories are.
    /// </summary>
    public VersionBinding Binding => _binding ?? BindAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// A data source like <paramref name="original"/> whose connections use the application's version (the same one when
    /// there is no version schema: an application built before any version schema keeps working unchanged).
    /// </summary>
    public NpgsqlDataSource Bind(NpgsqlDataSource original)
    {
        var binding = Binding;
        if (binding.VersionSchema is null)
        {
            return original;
        }
        // The clone hands on the password (see ConnectionString), which the data source's own string leaves out.
        using var connection = original.CreateConnection();
        using var clone = connection.CloneWith(original.ConnectionString);
        return NpgsqlDataSource.Create(binding.ApplyTo(clone.ConnectionString));
    }

    /// <summary>Options for a <see cref="Migrator"/> that applies at start-up.</summary>
    public MigratorOptions MigratorOptions(ILogger logger)
    {
        var source = Source;
        return new MigratorOptions
        {
            Database = ConnectionString,
            Directory = source.Path,
            Source = source,
            StateSchema = Options.StateSchema,
            LockTimeout = Options.LockTimeout,
            StepLockTimeout = Options.FirstLockTimeout,
            MaxLockWait = Options.MaxLockWait,
            LockDeadline = Options.LockDeadline,
            CancelAutovacuum = Options.CancelAutovacuum,
            TerminateIdleInTransactionAfter = Options.TerminateIdleInTransactionAfter,
            Backfill = WatchedBackfillOptions(),
            Logger = logger,
        };
    }

    private Stepwise.Execution.Backfill.BackfillProgress? _backfill;

    /// <summary>The last progress of a backfill this process runs (the health data shows it while it runs).</summary>
    public Stepwise.Execution.Backfill.BackfillProgress? Backfill => _backfill is { Done: false } progress ? progress : null;

    private bool _watchingBackfills;

    /// <summary>Keeps the last backfill progress for the health data (once), then calls the application's own callback.</summary>
    private Stepwise.Execution.Backfill.BackfillOptions WatchedBackfillOptions()
    {
        if (!_watchingBackfills)
        {
            _watchingBackfills = true;
            var theirs = Options.Backfill.OnProgress;
            Options.Backfill.OnProgress = progress =>
            {
                _backfill = progress;
                theirs?.Invoke(progress);
            };
        }
        return Options.Backfill;
    }

    /// <summary>Whether the database is ready for the application (one round trip; changes nothing).</summary>
    public Task<SchemaCheckResult> CheckAsync(CancellationToken cancellationToken) =>
        SchemaCheck.CheckAsync(ConnectionString, Source, [.. Options.RequiredTables], Options.StateSchema, cancellationToken);

    /// <summary>The database's connection string without the password (PGPASSWORD or a pgpass file supplies it to the CLI).</summary>
    public string DisplayName
    {
        get
        {
            try
            {
                var target = new NpgsqlConnectionStringBuilder(DatabaseTarget.Parse(ConnectionString).ConnectionString);
                target.Remove("Password");
                target.Remove("Persist Security Info");
                return target.ConnectionString;
            }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException or ArgumentException)
            {
                return "<database>";
            }
        }
    }

    /// <summary>The command that brings the database up to date: <c>stepwise apply -d "..." --dir ...</c>, without the password.</summary>
    public string ApplyCommand()
    {
        var command = $"stepwise apply -d \"{DisplayName}\" --dir {Options.Directory}";
        return Options.StateSchema == "stepwise" ? command : $"{command} --state-schema {Options.StateSchema}";
    }
}

/// <summary>The application's own data source, kept as registered when <c>AddStepwise</c> binds the one in the container to a version.</summary>
internal sealed class UnboundDataSource(NpgsqlDataSource dataSource, bool owned) : IAsyncDisposable
{
    public NpgsqlDataSource DataSource => dataSource;

    public ValueTask DisposeAsync() => owned ? dataSource.DisposeAsync() : ValueTask.CompletedTask;
}
