using System.CommandLine;
using System.Text;
using Stepwise.Cli.Rendering;
using Stepwise.Connections;
using Stepwise.Execution;

namespace Stepwise.Cli;

/// <summary>The global options every command shares, resolved once per invocation.</summary>
internal sealed class GlobalOptions
{
    public Option<string?> Database { get; } = new("--database", "-d")
    {
        Description = "Database: an Npgsql connection string or a postgres:// URL (default: $STEPWISE_DATABASE_URL, then $DATABASE_URL)",
        Recursive = true,
    };

    public Option<string?> Dir { get; } = new("--dir")
    {
        Description = "Migrations directory (default: ./migrations)",
        Recursive = true,
    };

    public Option<string?> Config { get; } = new("--config")
    {
        Description = "Configuration file (default: stepwise.json when present)",
        Recursive = true,
    };

    public Option<string> Format { get; } = new("--format")
    {
        Description = "Output format: text or json (lint also: sarif, github, gitlab; inspect and diff also: sql)",
        Recursive = true,
        DefaultValueFactory = _ => "text",
    };

    public Option<string?> StateSchema { get; } = new("--state-schema")
    {
        Description = "Schema holding Stepwise's history (default: stepwise)",
        Recursive = true,
    };

    public Option<bool> NoColor { get; } = new("--no-color")
    {
        Description = "Plain output without colour (also when NO_COLOR is set)",
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "More detail, including stack traces of unexpected failures",
        Recursive = true,
    };

    public GlobalOptions() => Format.AcceptOnlyFromAmong("text", "json", "sarif", "github", "gitlab", "sql");

    public IEnumerable<Option> All => [Database, Dir, Config, StateSchema, Format, NoColor, Verbose];
}

/// <summary>What a command needs from the invocation: output, the directory and the database.</summary>
internal sealed class CliContext
{
    private readonly string? _database;

    private CliContext(Output output, string directory, string? database, ConfigFile? config, string stateSchema, string formatName, CliEnvironment environment)
    {
        FormatName = formatName;
        Environment = environment;
        Output = output;
        MigrationsDirectory = directory;
        _database = database;
        Config = config;
        StateSchema = stateSchema;
    }

    /// <summary>The format as given (<c>text</c>, <c>json</c>, <c>sarif</c>, ...).</summary>
    public string FormatName { get; }

    /// <summary>The environment of the invocation (working directory, standard streams).</summary>
    public CliEnvironment Environment { get; }

    /// <summary>The schema holding history.</summary>
    public string StateSchema { get; }

    /// <summary>A migrator for the database and directory of this invocation.</summary>
    public Migrator CreateMigrator(Action<MigratorOptions>? configure = null)
    {
        var options = new MigratorOptions
        {
            Database = RequireDatabase().ConnectionString,
            Directory = MigrationsDirectory,
            StateSchema = StateSchema,
            Logger = new OutputLogger(Output),
        };
        Config?.Locks?.Apply(options);
        Config?.Instances?.Apply(options);
        configure?.Invoke(options);
        return new Migrator(options);
    }

    public Output Output { get; }

    /// <summary>The migrations directory (may not exist).</summary>
    public string MigrationsDirectory { get; }

    public ConfigFile? Config { get; }

    /// <summary>True when a database was given by option, environment or configuration.</summary>
    public bool HasDatabase => !string.IsNullOrWhiteSpace(_database);

    /// <summary>The database to use; a usage error (exit 2) when none was given or it is malformed.</summary>
    public DatabaseTarget RequireDatabase()
    {
        if (!HasDatabase)
        {
            throw new CliException(ExitCodes.BadInput,
                "no database given: pass --database/-d (a postgres:// URL or an Npgsql connection string), or set STEPWISE_DATABASE_URL or DATABASE_URL");
        }
        try
        {
            var target = DatabaseTarget.Parse(_database!);
            Output.AddSecret(target.Password);
            return target;
        }
        catch (FormatException ex)
        {
            throw new CliException(ExitCodes.BadInput, $"--database: {ex.Message}");
        }
    }

    /// <summary>With --verbose: the settings in effect (the database with its password hidden).</summary>
    public void DescribeSettings()
    {
        if (!Output.Verbose)
        {
            return;
        }
        if (Config is not null)
        {
            Output.Info($"config: {Config.Path}");
        }
        Output.Info($"migrations: {MigrationsDirectory}");
        if (HasDatabase)
        {
            Output.Info($"database: {RequireDatabase()}");
        }
    }

    public static CliContext Create(ParseResult parse, GlobalOptions options, CliEnvironment env)
    {
        var formatName = parse.GetValue(options.Format) ?? "text";
        var color = env.IsTerminal && !parse.GetValue(options.NoColor) && string.IsNullOrEmpty(env.Variable("NO_COLOR"));
        var output = new Output(env.Out, env.Error, formatName is "text" or "sql" ? OutputFormat.Text : OutputFormat.Json, color, parse.GetValue(options.Verbose));

        var configPath = parse.GetValue(options.Config);
        var config = configPath is not null
            ? ConfigFile.Load(Path.GetFullPath(configPath, env.WorkingDirectory), required: true)
            : ConfigFile.Load(Path.Combine(env.WorkingDirectory, ConfigFile.DefaultName), required: false);

        var database = parse.GetValue(options.Database)
            ?? NonEmpty(env.Variable("STEPWISE_DATABASE_URL"))
            ?? NonEmpty(env.Variable("DATABASE_URL"))
            ?? config?.Database;
        // Before anything parses it: a malformed value's error must not show part of its password either.
        output.AddSecretsOf(database);
        // --dir is relative to where stepwise runs; a "dir" in the configuration, to the configuration file.
        var directory = parse.GetValue(options.Dir) is { } fromOption
            ? Path.GetFullPath(fromOption, env.WorkingDirectory)
            : config?.Dir is { } fromConfig
                ? Path.GetFullPath(fromConfig, Path.GetDirectoryName(config.Path)!)
                : Path.GetFullPath("migrations", env.WorkingDirectory);
        var stateSchema = parse.GetValue(options.StateSchema) ?? config?.StateSchema ?? "stepwise";
        return new CliContext(output, directory, database, config, stateSchema, formatName, env);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

/// <summary>The process environment a CLI invocation sees; tests substitute their own.</summary>
internal sealed record CliEnvironment(TextWriter Out, TextWriter Error, Func<string, string?> Variable, string WorkingDirectory, bool IsTerminal = false)
{
    /// <summary>Standard input, for <c>stepwise lint -</c>.</summary>
    public TextReader In { get; init; } = TextReader.Null;

    public static CliEnvironment Process() =>
        new(StandardOutput(), Console.Error, System.Environment.GetEnvironmentVariable, System.Environment.CurrentDirectory, !Console.IsOutputRedirected) { In = Console.In };

    /// <summary>
    /// Standard output as <see cref="Console.Out"/> is (the console stream, its encoding, flushed after every write, safe from
    /// many threads) but with a buffer that holds a whole write: Console.Out's is 256 characters, so a report is written 256
    /// bytes a system call (56,000 calls for lint's JSON on 1,000 files).
    /// </summary>
    private static TextWriter StandardOutput()
    {
        var encoding = Console.OutputEncoding;
        if (encoding.Preamble.Length > 0)
        {
            // A pipe cannot seek, so a StreamWriter would start with the byte order mark: only UTF-8 is known to do without.
            if (encoding is not UTF8Encoding)
            {
                return Console.Out;
            }
            encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        }
        return TextWriter.Synchronized(new StreamWriter(Console.OpenStandardOutput(), encoding, bufferSize: 32 * 1024, leaveOpen: true) { AutoFlush = true });
    }
}
