using System.Collections.Concurrent;
using System.CommandLine;
using System.Runtime.ExceptionServices;
using System.Text;
using Stepwise.Cli.Rendering;
using Stepwise.Diagnostics;
using Stepwise.Execution;
using Stepwise.Linting;
using Stepwise.Linting.Reporters;
using Stepwise.Migrations;
using Stepwise.Planning;

namespace Stepwise.Cli.Commands;

/// <summary>
/// <c>stepwise lint [FILE... | -]</c>: finds statements that lock, rewrite or break running code.
/// Without files it lints the directory's migrations (only the pending ones when given a database);
/// with a database it also knows table sizes. Exit 1 when any finding is at error level.
/// </summary>
internal sealed class LintCommand : ICliCommand
{
    private readonly Argument<string[]> _files = new("files") { Description = "SQL files to lint, or - for standard input (default: the migration directory)", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<bool> _assumeInTransaction = new("--assume-in-transaction") { Description = "Plain SQL files run in one transaction (as most tools run them)" };
    private readonly Option<int?> _pgVersion = new("--pg-version") { Description = "PostgreSQL major version the migrations target (default 15)" };
    private readonly Option<long?> _smallTableRows = new("--small-table-rows") { Description = "With -d: tables with fewer rows are small; size-dependent findings drop to info (default 10000)" };
    private readonly Option<bool> _listRules = new("--list-rules") { Description = "List the rules and exit" };
    private readonly Option<bool> _rulesMarkdown = new("--rules-markdown") { Description = "Print the rules reference (docs/rules.md) and exit" };

    public IReadOnlyList<string> Formats => LintReporters.Formats;

    public Command Build()
    {
        var command = new Command("lint", "Find statements that lock, rewrite or break running code, with the safe way to write them; exit 1 on error-level findings");
        command.Arguments.Add(_files);
        foreach (var option in new Option[] { _assumeInTransaction, _pgVersion, _smallTableRows, _listRules, _rulesMarkdown })
        {
            command.Options.Add(option);
        }
        return command;
    }

    public async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var output = context.Output;
        if (parse.GetValue(_rulesMarkdown))
        {
            context.Environment.Out.Write(RulesReference.Markdown());
            return ExitCodes.Success;
        }
        if (parse.GetValue(_listRules))
        {
            foreach (var rule in Linter.AllRules)
            {
                context.Environment.Out.WriteLine($"{rule.Id,-40} {rule.DefaultSeverity.ToString().ToLowerInvariant(),-8} {rule.Title}");
            }
            return ExitCodes.Success;
        }

        var config = context.Config?.Lint;
        var options = new LintOptions
        {
            AssumeInTransaction = parse.GetValue(_assumeInTransaction) || config?.AssumeInTransaction == true,
            PostgresVersion = parse.GetValue(_pgVersion) ?? config?.PostgresVersion ?? 15,
            SmallTableRows = parse.GetValue(_smallTableRows) ?? config?.SmallTableRows ?? 10_000,
        };
        foreach (var (id, severity) in config?.Rules ?? [])
        {
            options.Severities[id] = severity;
        }
        if (context.HasDatabase)
        {
            options.TableSizes = await TableSizes.LoadAsync(context.RequireDatabase().ConnectionString, cancellationToken);
            options.ForeignKeys = await ForeignKeys.LoadAsync(context.RequireDatabase().ConnectionString, cancellationToken);
        }

        var inputs = await InputsAsync(context, parse.GetValue(_files) ?? [], cancellationToken);
        var linter = new Linter(options);
        var files = inputs.Where(i => config is null || !config.Excludes(i.Name)).ToList();
        // Start-up is over: what only it read of the executable need not stay resident while the files are linted.
        StartupPages.Release();
        // Files are independent: read and lint them on every core (rules are stateless), report in the given order. Text
        // and JSON reports are written as soon as every file before is done, and a file's findings as the linter hands
        // them out (a long file's a window at a time), so that only the files in flight and the findings not yet written
        // are held; other formats need the whole run.
        var reporter = LintReporters.For(context.FormatName);
        var streaming = reporter as IStreamingLintReporter;
        var results = new LintResult?[files.Count];
        var pending = new List<LintFinding>?[files.Count]; // findings of a file whose turn to be written has not come
        var done = new int?[files.Count]; // statements of each file linted to the end
        var begun = new bool[files.Count]; // some of the file's findings are written
        var totals = new LintTotals();
        var next = 0;
        var gate = new Lock();
        var nextCollection = GC.GetTotalAllocatedBytes() + CollectionBytes;
        void Emit(Action<TextWriter> write)
        {
            if (context.FormatName == "text")
            {
                var text = new StringWriter();
                write(text);
                WriteText(output, text.ToString());
            }
            else
            {
                // Straight to standard output: a report of a big file is not held whole in memory once more.
                write(context.Environment.Out);
            }
        }
        if (streaming is not null)
        {
            Emit(streaming.WriteStart);
        }
        try
        {
            // Files handed out one at a time, in order: the ones done but not yet written stay few.
            var order = Partitioner.Create(Enumerable.Range(0, files.Count), EnumerablePartitionerOptions.NoBuffering);
            // One file per core and no more: the thread pool would otherwise add threads while files run, and every thread
            // that parses keeps libpg_query's state and a malloc arena of its own for the rest of the process.
            var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount };
            Parallel.ForEach(order, parallel, i =>
            {
                var (name, path, text) = files[i];
                var (read, problem) = text is null ? Read(name, File.ReadAllBytes(path!)) : (text, null);
                if (streaming is null)
                {
                    results[i] = problem is null ? linter.Lint(read!, name, cancellationToken) : new LintResult(name, [problem], 0);
                    return;
                }
                var statements = problem is null ? linter.Lint(read!, name, Found, cancellationToken) : 0;
                if (problem is not null)
                {
                    Found([problem]);
                }
                lock (gate)
                {
                    done[i] = statements;
                    while (next < files.Count)
                    {
                        // The next file's findings so far are written now, its later ones as they come.
                        if (pending[next] is { } held)
                        {
                            pending[next] = null;
                            Write(next, held);
                        }
                        if (done[next] is not { } count)
                        {
                            break;
                        }
                        totals.AddFile(count);
                        next++;
                    }
                }
                CollectEvery(ref nextCollection);

                void Found(IReadOnlyList<LintFinding> findings)
                {
                    lock (gate)
                    {
                        if (next == i)
                        {
                            Write(i, findings);
                        }
                        else
                        {
                            (pending[i] ??= []).AddRange(findings);
                        }
                    }
                }

                void Write(int file, IReadOnlyList<LintFinding> findings)
                {
                    var part = new LintResult(files[file].Name, findings, 0) { Continues = begun[file] };
                    Emit(writer => streaming.WriteFile(part, writer));
                    totals.AddFindings(findings);
                    begun[file] = true;
                }
            });
        }
        catch (AggregateException ex)
        {
            // The first failure as itself (a file that cannot be read, the parser missing), as a one-thread loop would throw it.
            ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
        }

        if (streaming is not null)
        {
            Emit(writer => streaming.WriteEnd(totals, writer));
        }
        else
        {
            var all = results.OfType<LintResult>().ToList();
            totals = LintTotals.Of(all);
            Emit(writer => reporter.Write(new LintReport(all, Linter.AllRules), writer));
        }
        return totals.Errors > 0 ? ExitCodes.ChecksFailed : ExitCodes.Success;
    }

    /// <summary>Bytes allocated between the full collections of <see cref="CollectEvery"/>.</summary>
    private const long CollectionBytes = 4L * 1024 * 1024;

    /// <summary>
    /// A full, compacting collection once <see cref="CollectionBytes"/> more are allocated (checked as each file ends). The
    /// files linted at once are garbage milliseconds after they are done, but whatever is in flight at a gen1 collection goes
    /// to gen2, where the GC's budget let the trees of long-finished files pile up: on 1,000 files (220 MB allocated, a live
    /// heap under 8 MB) the native executable's peak RSS was 42-47 MB, 36-41 MB with a collection every 8 MB (every 32 MB:
    /// 37-43 MB), CPU time the same within the noise: a full collection of a heap that small takes milliseconds. Between two
    /// of them the ephemeral collections keep a region each (a region with few survivors is promoted where it lies), so the
    /// heap grows by about what is allocated: once start-up's pages were let go (StartupPages) and the parser library no
    /// longer read whole, that growth set the peak, and every 4 MB took it from 32-33 to 31 MB, CPU time the same (every 2 MB:
    /// 29 MB, but twice the full collections again, whose cost a shared machine's noise could not show either way).
    /// </summary>
    private static void CollectEvery(ref long nextCollection)
    {
        var due = Volatile.Read(ref nextCollection);
        var allocated = GC.GetTotalAllocatedBytes();
        if (allocated >= due && Interlocked.CompareExchange(ref nextCollection, allocated + CollectionBytes, due) == due)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
    }

    /// <summary>Findings go to standard output unwrapped (long messages stay on one line); severities are coloured on a terminal.</summary>
    private static void WriteText(Output output, string text) => output.WriteRaw(Stepwise.Sql.Printable.Escape(text), plain => plain
        .Replace(": error [", ": \u001b[31merror\u001b[0m [", StringComparison.Ordinal)
        .Replace(": warning [", ": \u001b[33mwarning\u001b[0m [", StringComparison.Ordinal)
        .Replace(": info [", ": \u001b[34minfo\u001b[0m [", StringComparison.Ordinal));

    /// <summary>A file to lint: its path (read when linted), or standard input's text.</summary>
    private sealed record Input(string Name, string? Path, string? Text);

    private static async Task<List<Input>> InputsAsync(CliContext context, string[] files, CancellationToken cancellationToken)
    {
        var inputs = new List<Input>();
        if (files.Length == 0)
        {
            // The directory as apply reads it: what apply would refuse (names, encodings, sizes, links, directives,
            // sections, the sum), lint refuses too (exit 2), rather than lint nothing and pass. Syntax errors
            // are findings, with the rest of the file still linted.
            var directory = MigrationDirectory.Load(context.MigrationsDirectory);
            if (directory.Problems.FirstOrDefault(p => p.Code == "no-directory") is { } missing)
            {
                throw new CliException(ExitCodes.BadInput, missing.ToString());
            }
            if (directory.Problems.Where(p => p.Severity == Severity.Error && p.Code != "syntax-error").ToList() is { Count: > 0 } refused)
            {
                throw new MigrationRefusedException($"the migration directory {directory.Path} has errors: nothing was linted", refused);
            }
            // Operation files are checked by validate (the reader); the SQL rules read SQL files.
            IEnumerable<Migration> migrations = directory.All.Where(m => !m.IsOperationMigration);
            if (context.HasDatabase)
            {
                var status = await context.CreateMigrator().StatusAsync(cancellationToken);
                var pending = status.Entries.Where(e => e.State is not MigrationState.Applied and not MigrationState.MissingFile).Select(e => e.File).ToHashSet(StringComparer.Ordinal);
                var applied = migrations.Count(m => !pending.Contains(m.FileName));
                migrations = migrations.Where(m => pending.Contains(m.FileName));
                if (applied > 0)
                {
                    // Otherwise "0 file(s) ... 0 error(s)" would read as a clean directory.
                    context.Output.Info($"{applied} migration(s) the database has applied were not linted (they ran already); name them, or lint without a database, to lint them too");
                }
            }
            files = [.. migrations.Select(m => Path.GetRelativePath(context.Environment.WorkingDirectory, m.Path))];
        }
        foreach (var file in files)
        {
            if (file == "-")
            {
                inputs.Add(new Input("<stdin>", null, await context.Environment.In.ReadToEndAsync(cancellationToken)));
                continue;
            }
            var path = Path.GetFullPath(file, context.Environment.WorkingDirectory);
            if (!File.Exists(path))
            {
                throw new CliException(ExitCodes.BadInput, $"{file}: no such file");
            }
            inputs.Add(new Input(file, path, null));
        }
        return inputs;
    }

    /// <summary>A file's text, or a finding saying why it cannot be linted (UTF-16, binary, not UTF-8): the directory's own check.</summary>
    private static (string? Text, LintFinding? Problem) Read(string name, byte[] bytes)
    {
        var problems = new List<MigrationProblem>();
        var text = MigrationDirectory.Decode(bytes, name, problems);
        return problems is [var problem, ..]
            ? (null, new LintFinding
            {
                RuleId = Linter.UnreadableFileId, Severity = LintSeverity.Error, File = name, Line = Math.Max(1, problem.Line), Column = Math.Max(1, problem.Column), EndLine = Math.Max(1, problem.Line),
                Message = problem.Message, Fix = problem.Hint,
            })
            : (text, null);
    }
}
