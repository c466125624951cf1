using Spectre.Console;
using System.CommandLine;
using Stepwise.Cli.Rendering;
using Stepwise.Diagnostics;
using Stepwise.Execution;
using Stepwise.Migrations;

namespace Stepwise.Cli.Commands;

/// <summary>
/// <c>stepwise validate</c>: checks the directory offline (names, versions, the sum, every statement
/// parses, down sections present); with a database also checksums, missing files and order against
/// history. Exit 1 on any error.
/// </summary>
internal sealed class ValidateCommand : ICliCommand
{
    public Command Build() => new("validate", "Check the migration directory (names, duplicate versions, stepwise.sum, syntax, down sections); with -d also against the database's history. Exit 1 on errors");

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var directory = MigrationDirectory.Load(context.MigrationsDirectory);
        var problems = directory.Problems.ToList();
        foreach (var migration in directory.Versioned.Where(m => m.Up is not null && m.Down is null))
        {
            problems.Add(new MigrationProblem(Severity.Warning, "no-down-section", migration.Path, 0, 0,
                "no down section: this migration cannot be rolled back", "write its undoing under -- stepwise:down"));
        }
        if (context.HasDatabase && !directory.HasErrors)
        {
            var status = await context.CreateMigrator().StatusAsync(cancellationToken);
            foreach (var e in status.Entries)
            {
                var file = e.Migration?.Path ?? Path.Combine(context.MigrationsDirectory, e.File);
                var problem = e.State switch
                {
                    MigrationState.Modified => ("modified", "changed after it was applied", "undo the edit, or accept it with stepwise repair --yes"),
                    MigrationState.MissingFile => ("missing-file", $"history says {e.History!.Status.Text()}, but the file is not in the directory", "restore the file, or stepwise repair --yes to forget it"),
                    MigrationState.OutOfOrder => ("out-of-order", "pending, but older than an applied migration", "apply with --allow-out-of-order after checking, or give it a newer version"),
                    MigrationState.Failed => ("failed", "the last attempt failed: " + e.History!.Error, "fix it and apply again"),
                    MigrationState.Partial => ("partial", $"{e.History!.StatementsCompleted} of {e.History.StatementsTotal} statements ran", "stepwise apply resumes it"),
                    MigrationState.Reverting => ("reverting", "a rollback was interrupted", "finish it with stepwise rollback"),
                    MigrationState.InProgress => ("in-progress", $"its {e.History!.Status.Text()} phase was interrupted after {e.History.StatementsCompleted} of {e.History.StatementsTotal} step(s)",
                        "stepwise " + e.History.Status.ResumeCommand() + " resumes it"),
                    _ => default,
                };
                if (problem.Item1 is not null)
                {
                    problems.Add(new MigrationProblem(Severity.Error, problem.Item1, file, 0, 0, problem.Item2, problem.Item3));
                }
            }
        }

        var errors = problems.Count(p => p.Severity == Severity.Error);
        var output = context.Output;
        if (output.Format == OutputFormat.Json)
        {
            output.WriteJson(new { valid = errors == 0, migrations = directory.Versioned.Count + directory.Repeatable.Count, problems = problems.Select(MigrationErrors.Json) });
        }
        else
        {
            foreach (var problem in problems)
            {
                if (problem.Severity == Severity.Error)
                {
                    output.Error(problem.ToString());
                }
                else
                {
                    output.Warning(problem.ToString());
                }
            }
            var summary = $"{directory.Versioned.Count} versioned and {directory.Repeatable.Count} repeatable migration(s): {errors} error(s), {problems.Count - errors} warning(s)";
            output.Console.WriteLine(errors == 0 ? $"valid: {summary}" : $"invalid: {summary}");
        }
        return errors == 0 ? ExitCodes.Success : ExitCodes.ChecksFailed;
    }
}
