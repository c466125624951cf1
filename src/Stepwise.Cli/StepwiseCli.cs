using System.CommandLine;
using Npgsql;
using Stepwise.Cli.Commands;
using Stepwise.Cli.Rendering;
using Stepwise.Execution;
using Stepwise.Sql;

namespace Stepwise.Cli;

/// <summary>
/// The <c>stepwise</c> command: parses arguments, resolves the global options, runs one command and
/// maps every outcome to a documented exit code. Commands only parse and call the library.
/// </summary>
internal static class StepwiseCli
{
    public static async Task<int> RunAsync(string[] args, CliEnvironment env, CancellationToken cancellationToken = default)
    {
        var options = new GlobalOptions();
        // A plain Command named "stepwise" rather than RootCommand, whose name would be the assembly's.
        var root = new Command("stepwise", "Stepwise: zero-downtime schema migrations for PostgreSQL.\n\n" + ExitCodes.HelpText)
        {
            Options = { new System.CommandLine.Help.HelpOption(), new VersionOption() },
        };
        foreach (var option in options.All)
        {
            root.Options.Add(option);
        }
        var commands = new ICliCommand[]
        {
            new NewCommand(), new StatusCommand(), new ValidateCommand(), new ApplyCommand(), new CompleteCommand(), new RollbackCommand(),
            new BaselineCommand(), new RepairCommand(), new HashCommand(), new ImportCommand(), new LintCommand(), new InspectCommand(), new DiffCommand(), new DriftCommand(), new VerifyCommand(),
            new ParseCommand(), new DemoCommand(), new BackfillCommand(), new FleetCommand(),
        };
        foreach (var command in commands)
        {
            var built = command.Build();
            built.SetAction((parse, ct) => InvokeAsync(command, parse, options, env, ct));
            root.Subcommands.Add(built);
        }

        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors)
            {
                await env.Error.WriteLineAsync($"stepwise: {error.Message}");
            }
            await env.Error.WriteLineAsync("Run 'stepwise --help' for usage.");
            return ExitCodes.BadInput;
        }
        return await result.InvokeAsync(new InvocationConfiguration { Output = env.Out, Error = env.Error }, cancellationToken);
    }

    private static async Task<int> InvokeAsync(ICliCommand command, ParseResult parse, GlobalOptions options, CliEnvironment env, CancellationToken cancellationToken)
    {
        CliContext? context = null;
        try
        {
            context = CliContext.Create(parse, options, env);
            if (!command.Formats.Contains(context.FormatName))
            {
                throw new CliException(ExitCodes.BadInput, $"--format {context.FormatName} is not available for this command (use {string.Join(" or ", command.Formats)})");
            }
            context.DescribeSettings();
            return await command.RunAsync(context, parse, cancellationToken);
        }
        catch (CliException ex)
        {
            Report(context, env, ex.Message);
            return ex.ExitCode;
        }
        catch (MigrationRefusedException ex)
        {
            if (context is not null)
            {
                MigrationErrors.Report(context.Output, ex);
            }
            return ExitCodes.BadInput;
        }
        catch (MigrationFailedException ex)
        {
            if (context is not null)
            {
                MigrationErrors.Report(context.Output, ex);
            }
            return ExitCodes.RuntimeFailure;
        }
        catch (MigrationLockBusyException ex)
        {
            Report(context, env, ex.Message);
            return ExitCodes.RuntimeFailure;
        }
        catch (SqlParserUnavailableException ex)
        {
            Report(context, env, ex.Message);
            return ExitCodes.RuntimeFailure;
        }
        catch (PostgresException ex)
        {
            Report(context, env, $"database error {ex.SqlState}: {ex.MessageText}{(ex.Detail is null ? "" : $" ({ex.Detail})")}");
            return ExitCodes.RuntimeFailure;
        }
        catch (NpgsqlException ex)
        {
            Report(context, env, $"database connection failed: {ex.Message}{(ex.InnerException is null ? "" : $" ({ex.InnerException.Message})")}");
            return ExitCodes.RuntimeFailure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Report(context, env, "cancelled");
            return ExitCodes.RuntimeFailure;
        }
        catch (Exception ex)
        {
            Report(context, env, context?.Output.Verbose == true ? ex.ToString() : $"{ex.Message} (run with --verbose for details)");
            return ExitCodes.RuntimeFailure;
        }
        finally
        {
            context?.Output.Flush();
        }
    }

    private static void Report(CliContext? context, CliEnvironment env, string message)
    {
        if (context is not null)
        {
            context.Output.Error($"error: {message}");
        }
        else
        {
            env.Error.WriteLine($"error: {Stepwise.Connections.DatabaseTarget.Redact(message)}");
        }
    }
}

/// <summary>One <c>stepwise</c> sub-command: its syntax and what it does.</summary>
internal interface ICliCommand
{
    /// <summary>The output formats the command supports.</summary>
    IReadOnlyList<string> Formats => ["text", "json"];

    Command Build();

    Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken);
}
