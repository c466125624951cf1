using System.CommandLine;
using Stepwise.Cli.Rendering;
using Stepwise.Planning;
using Stepwise.Verification;

namespace Stepwise.Cli.Commands;

/// <summary>
/// <c>stepwise verify</c>: on a throwaway PostgreSQL, every migration applies from scratch, round-trips
/// through its down section, and its statements' real locks are measured beside the linter's. Exit 1 on
/// any failure. Needs no database of yours.
/// </summary>
internal sealed class VerifyCommand : ICliCommand
{
    private readonly DevUrlOption _devUrl = new();

    public Command Build()
    {
        var command = new Command("verify", "On a throwaway PostgreSQL: apply every migration from scratch, round-trip each down section (up → down → up), and measure the locks each statement takes; exit 1 on any failure");
        command.Options.Add(_devUrl.Option);
        return command;
    }

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var devUrl = _devUrl.Resolve(context, parse);
        context.Output.Info($"verifying on {DevUrlOption.Where(devUrl)}…");
        var report = await Verifier.VerifyAsync(context.MigrationsDirectory, new OutputLogger(context.Output), devUrl: devUrl, cancellationToken: cancellationToken);
        var output = context.Output;
        if (output.Format == OutputFormat.Json)
        {
            output.WriteJson(new
            {
                migrations = report.Migrations,
                ok = report.Problems.Count == 0,
                problems = report.Problems,
                notReversible = report.NotReversible,
                locks = report.Locks.Select(l => new
                {
                    file = l.File, line = l.Line, statement = l.Statement, rewritten = l.Rewritten, disagrees = l.Disagrees,
                    measured = l.Measured.ToDictionary(kv => kv.Key, kv => kv.Value.ToSql()),
                    expected = l.Static.ToDictionary(kv => kv.Key, kv => kv.Value.ToSql()),
                }),
            });
        }
        else
        {
            foreach (var l in report.Locks)
            {
                var measured = string.Join(", ", l.Measured.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Value.ToSql()} on {kv.Key}"));
                var rewrite = l.Rewritten.Count > 0 ? $"; rewrites {string.Join(", ", l.Rewritten)}" : "";
                var note = l.Disagrees ? $"  <- the linter says {string.Join(", ", l.Static.Select(kv => $"{kv.Value.ToSql()} on {kv.Key}"))}" : "";
                output.WriteRaw($"{l.File}:{l.Line}: {l.Statement}: {(measured.Length == 0 ? "no table locks" : measured)}{rewrite}{note}\n");
            }
            foreach (var file in report.NotReversible)
            {
                output.Warning($"{file}: no down section, so it was not round-tripped");
            }
            foreach (var problem in report.Problems)
            {
                output.Error($"{problem.File} ({problem.Step}): {problem.Message}");
            }
            output.WriteRaw(report.Problems.Count == 0
                ? $"verified: {report.Migrations} migration(s) apply from scratch and round-trip\n"
                : $"{report.Problems.Count} problem(s) in {report.Migrations} migration(s)\n");
        }
        return report.Problems.Count == 0 ? ExitCodes.Success : ExitCodes.ChecksFailed;
    }
}
