using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;
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

    /// <summary>More warnings of one kind than this become one line with a count.</summary>
    internal const int SummariseAbove = 3;

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var directory = MigrationDirectory.Load(context.MigrationsDirectory);
        var problems = directory.Problems.ToList();
        problems.AddRange(directory.InProgress.Order(StringComparer.Ordinal).Select(file => new MigrationProblem(Severity.Warning, "in-progress", Path.Combine(context.MigrationsDirectory, file), 0, 0,
            "in progress (made by stepwise new): stepwise.sum does not check its content yet", "once it is final, seal it with: stepwise hash (before it is merged or deployed)")));
        var noDown = directory.Versioned.Where(m => m.Up is not null && m.Down is null).ToList();
        // One line per file while they are few; past that one line with the count (an imported history has hundreds).
        problems.AddRange(noDown.Count <= SummariseAbove
            ? noDown.Select(m => new MigrationProblem(Severity.Warning, "no-down-section", m.Path, 0, 0,
                "no down section: this migration cannot be rolled back", "write its undoing under -- stepwise:down"))
            : [new MigrationProblem(Severity.Warning, "no-down-section", context.MigrationsDirectory, 0, 0,
                $"{noDown.Count} migrations have no down section and cannot be rolled back: {string.Join(", ", noDown.Take(3).Select(m => m.FileName))}, ...",
                "write the undoing of those you may need to roll back under -- stepwise:down")]);
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
            output.WriteJson(new JsonObject { ["valid"] = errors == 0, ["migrations"] = directory.Versioned.Count + directory.Repeatable.Count, ["problems"] = new JsonArray([.. problems.Select(MigrationErrors.Json)]) });
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
        // A directory Stepwise cannot read is bad input, not a failed check of migrations.
        return problems.Any(p => p.Code is "foreign-layout" or "not-read") ? ExitCodes.BadInput : errors == 0 ? ExitCodes.Success : ExitCodes.ChecksFailed;
    }
}
