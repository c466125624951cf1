using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Stepwise.Cli.Rendering;
using Stepwise.Connections;
using Stepwise.Execution;
using Stepwise.Fleet;

namespace Stepwise.Cli.Commands;

/// <summary>
/// <c>stepwise fleet apply|complete|rollback|status</c>: one migration directory across many databases, with a canary,
/// waves of growing size and an error budget; the fleet state in a local file or the catalog database.
/// </summary>
internal sealed class FleetCommand : ICliCommand
{
    private readonly Argument<string> _action = new("action") { Description = "apply, complete, rollback or status" };
    private readonly Option<string?> _targets = new("--targets") { Description = "A file of targets: one connection (postgres:// URL or Host=...;Database=...) per line, optionally after a name; # starts a comment line" };
    private readonly Option<string?> _catalog = new("--catalog") { Description = "The catalog database: where --targets-query runs, and where the fleet state is kept (schema stepwise_fleet) unless --state names a file" };
    private readonly Option<string?> _query = new("--targets-query") { Description = "SQL run on --catalog returning the targets: one column (the connection) or two (name, connection)" };
    private readonly Option<string?> _databases = new("--databases") { Description = "Every database of the --database server whose name matches this LIKE pattern (e.g. tenant_%)" };
    private readonly Option<string?> _state = new("--state") { Description = "The fleet state file (default: stepwise-fleet.json in the working directory, or the catalog with --catalog)" };
    private readonly Option<string> _fleet = new("--fleet") { Description = "The fleet's name in the catalog's state (default: default)", DefaultValueFactory = _ => "default" };
    private readonly Option<int> _canary = new("--canary") { Description = "The first N targets are migrated one by one before any wave; all must succeed (default 1; 0 for none)", DefaultValueFactory = _ => 1 };
    private readonly Option<int> _parallelism = new("--parallelism", "-j") { Description = "Targets migrated at once within a wave (default 4)", DefaultValueFactory = _ => 4 };
    private readonly Option<int?> _firstWave = new("--first-wave") { Description = "Size of the first wave after the canary (default: --parallelism)" };
    private readonly Option<double> _growth = new("--wave-growth") { Description = "Each wave is this many times the one before (default 2)", DefaultValueFactory = _ => 2 };
    private readonly Option<int?> _maxFailures = new("--max-failures") { Description = "Stop once this many targets have failed (default 1, or none when --max-failure-rate is given)" };
    private readonly Option<string?> _maxFailureRate = new("--max-failure-rate") { Description = "Stop once this share of all targets has failed, e.g. 5%" };
    private readonly Option<long?> _to = new("--to") { Description = "apply: nothing newer than this version; rollback: run down sections of migrations newer than this version" };
    private readonly Option<bool> _outOfOrder = new("--allow-out-of-order") { Description = "apply: apply pending migrations older than an applied one" };
    private readonly Option<bool> _complete = new("--complete") { Description = "apply: also run an operation migration's complete phase right after its start, on each target" };
    private readonly Option<bool> _allowPartial = new("--allow-partial") { Description = "complete: complete where started even though the start did not succeed on every target (those are left alone)" };
    private readonly GateOptions _gate = new();
    private readonly RunOptions _run = new();

    public Command Build()
    {
        _action.AcceptOnlyFromAmong("apply", "complete", "rollback", "status");
        var command = new Command("fleet", "One migration directory across many databases (a file of targets, a catalog query, or every database of a server matching a pattern): "
            + "a canary first, then waves of growing size with bounded parallelism, stopping when the error budget is spent; each database keeps its own history and lock");
        command.Arguments.Add(_action);
        foreach (var option in new Option[] { _targets, _catalog, _query, _databases, _state, _fleet, _canary, _parallelism, _firstWave, _growth, _maxFailures, _maxFailureRate,
            _to, _outOfOrder, _complete, _allowPartial })
        {
            command.Options.Add(option);
        }
        _gate.AddTo(command);
        _run.AddTo(command);
        return command;
    }

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var actionName = parse.GetValue(_action)!;
        CheckOptions(parse, actionName);
        var targets = await TargetsAsync(context, parse, cancellationToken);
        await using var state = State(context, parse);
        var gate = new Lock();
        var options = Options(context, parse, actionName, state, gate);
        var runner = new FleetRunner(targets, options);
        if (actionName == "status")
        {
            var statuses = await runner.StatusAsync(cancellationToken);
            FleetRendering.Status(context.Output, statuses);
            return statuses.Any(s => s.Status.NeedsAttention) || statuses.Select(s => s.Status.Version).Distinct().Count() > 1 ? ExitCodes.ChecksFailed : ExitCodes.Success;
        }
        var action = actionName switch { "apply" => FleetAction.Apply, "complete" => FleetAction.Complete, _ => FleetAction.Rollback };
        var result = await FleetRendering.RunWithProgressAsync(context, options, gate, () => runner.RunAsync(action, cancellationToken));
        FleetRendering.Result(context.Output, result);
        return result.Succeeded ? ExitCodes.Success : ExitCodes.RuntimeFailure;
    }

    /// <summary>Options of one action given to another are a mistake to name, not to ignore.</summary>
    private void CheckOptions(ParseResult parse, string action)
    {
        (Option Option, string[] Actions)[] only =
        [
            (_to, ["apply", "rollback"]), (_outOfOrder, ["apply"]), (_complete, ["apply"]), (_allowPartial, ["complete"]),
        ];
        foreach (var (option, actions) in only)
        {
            if (parse.GetResult(option) is { Implicit: false } && !actions.Contains(action))
            {
                throw new CliException(ExitCodes.BadInput, $"{option.Name} goes with stepwise fleet {string.Join(" or ", actions)}, not {action}");
            }
        }
        if (_gate.AnyGiven(parse) && action is not ("complete" or "apply"))
        {
            throw new CliException(ExitCodes.BadInput, $"--force and --wait go with stepwise fleet complete (or apply --complete), not {action}");
        }
        var sources = new[] { parse.GetValue(_targets) is not null, parse.GetValue(_query) is not null, parse.GetValue(_databases) is not null }.Count(x => x);
        if (sources != 1)
        {
            throw new CliException(ExitCodes.BadInput, sources == 0
                ? "no targets given: pass --targets FILE, --targets-query SQL (with --catalog), or --databases PATTERN (with --database naming the server)"
                : "give one source of targets: --targets, --targets-query or --databases");
        }
        if (parse.GetValue(_query) is not null && parse.GetValue(_catalog) is null)
        {
            throw new CliException(ExitCodes.BadInput, "--targets-query runs on the catalog database: pass --catalog URL");
        }
    }

    private async Task<IReadOnlyList<FleetTarget>> TargetsAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        IReadOnlyList<FleetTarget> targets;
        if (parse.GetValue(_targets) is { } file)
        {
            var path = Path.GetFullPath(file, context.Environment.WorkingDirectory);
            if (File.Exists(path))
            {
                // Before the file is parsed: not even an error about a malformed line may show part of a password.
                foreach (var line in File.ReadLines(path))
                {
                    context.Output.AddSecretsOf(line);
                }
            }
            targets = FleetTargets.ReadFile(path);
        }
        else if (parse.GetValue(_query) is { } query)
        {
            targets = await FleetTargets.QueryAsync(Catalog(context, parse)!, query, cancellationToken);
        }
        else
        {
            targets = await FleetTargets.ServerAsync(context.RequireDatabase().ConnectionString, parse.GetValue(_databases)!, cancellationToken);
        }
        foreach (var target in targets)
        {
            context.Output.AddSecret(target.Database.Password);
        }
        return targets;
    }

    private string? Catalog(CliContext context, ParseResult parse)
    {
        if (parse.GetValue(_catalog) is not { } catalog)
        {
            return null;
        }
        context.Output.AddSecretsOf(catalog);
        try
        {
            return DatabaseTarget.Parse(catalog).ConnectionString;
        }
        catch (FormatException ex)
        {
            throw new CliException(ExitCodes.BadInput, $"--catalog: {ex.Message}");
        }
    }

    private IFleetStateStore State(CliContext context, ParseResult parse)
    {
        var catalog = Catalog(context, parse);
        if (parse.GetValue(_state) is null && catalog is not null)
        {
            return new FleetStateCatalog(catalog, parse.GetValue(_fleet)!);
        }
        return new FleetStateFile(Path.GetFullPath(parse.GetValue(_state) ?? "stepwise-fleet.json", context.Environment.WorkingDirectory));
    }

    private FleetOptions Options(CliContext context, ParseResult parse, string action, IFleetStateStore state, Lock gate)
    {
        var rate = parse.GetValue(_maxFailureRate) is { } text ? Rate(text) : (double?)null;
        var options = new FleetOptions
        {
            Directory = context.MigrationsDirectory,
            StateSchema = context.StateSchema,
            Canary = parse.GetValue(_canary) is var canary and >= 0 ? canary : throw new CliException(ExitCodes.BadInput, "--canary must be 0 or more"),
            Parallelism = parse.GetValue(_parallelism) is var parallelism and >= 1 ? parallelism : throw new CliException(ExitCodes.BadInput, "--parallelism must be 1 or more"),
            FirstWave = parse.GetValue(_firstWave) is { } first ? first >= 1 ? first : throw new CliException(ExitCodes.BadInput, "--first-wave must be 1 or more") : null,
            WaveGrowth = parse.GetValue(_growth) is var growth and >= 1 ? growth : throw new CliException(ExitCodes.BadInput, "--wave-growth must be 1 or more"),
            MaxFailures = parse.GetValue(_maxFailures) is { } most ? most >= 1 ? most : throw new CliException(ExitCodes.BadInput, "--max-failures must be 1 or more") : rate is null ? 1 : null,
            MaxFailureRate = rate,
            Apply = new ApplyRequest { ToVersion = action == "apply" ? parse.GetValue(_to) : null, AllowOutOfOrder = parse.GetValue(_outOfOrder), Complete = parse.GetValue(_complete) },
            RollbackTo = action == "rollback" ? parse.GetValue(_to) : null,
            AllowPartial = parse.GetValue(_allowPartial),
            State = state,
            Logger = new FleetLogger(context.Output, gate),
        };
        options.ConfigureTarget = (_, migrator) =>
        {
            context.Config?.Locks?.Apply(migrator);
            context.Config?.Instances?.Apply(migrator);
            _run.Configure(parse, migrator);
            _gate.Configure(parse, migrator);
        };
        return options;
    }

    private static double Rate(string text)
    {
        var number = text.TrimEnd('%');
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && (text.EndsWith('%') ? value <= 100 : value <= 1)
            ? text.EndsWith('%') ? value / 100 : value
            : throw new CliException(ExitCodes.BadInput, $"--max-failure-rate '{text}' is not a share of the targets: write e.g. 5% or 0.05");
    }

    /// <summary>
    /// The fleet's log on standard error, one line at a time (targets run in parallel): its own lines and the targets' warnings, and with
    /// --verbose every line of every target's migrator.
    /// </summary>
    private sealed class FleetLogger(Output output, Lock gate) : ILogger
    {
        private readonly OutputLogger _inner = new(output);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= (output.Verbose ? LogLevel.Debug : LogLevel.Warning);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel) || eventId == EventIds.MigrationFailed)
            {
                return; // a target's failure is shown once, by the fleet's progress and summary
            }
            lock (gate)
            {
                _inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
