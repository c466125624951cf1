using System.CommandLine;
using System.Text.Json.Nodes;
using Spectre.Console;
using Stepwise.Cli.Rendering;
using Stepwise.Sql;

namespace Stepwise.Cli.Commands;

/// <summary><c>stepwise parse FILE...</c>: each statement with its line range and kind, as PostgreSQL's parser sees it.</summary>
internal sealed class ParseCommand : ICliCommand
{
    private readonly Argument<string[]> _files = new("files")
    {
        Description = "SQL files to parse",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<bool> _plpgsql = new("--plpgsql")
    {
        Description = "Also list the statements inside DO blocks and PL/pgSQL functions",
    };

    public Command Build()
    {
        var command = new Command("parse", "Split SQL files into statements with PostgreSQL's parser and show each one's lines and kind; exit 2 on a syntax error");
        command.Arguments.Add(_files);
        command.Options.Add(_plpgsql);
        return command;
    }

    public Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var output = context.Output;
        var withPlpgsql = parse.GetValue(_plpgsql);
        var reports = new List<FileReport>();
        foreach (var path in parse.GetValue(_files) ?? [])
        {
            var full = Path.GetFullPath(path, context.Environment.WorkingDirectory); // read from the command's directory; shown as given
            if (!File.Exists(full))
            {
                throw new CliException(ExitCodes.BadInput, $"{path}: no such file");
            }
            var script = SqlParser.ParseFile(File.ReadAllText(full), path, cancellationToken);
            reports.Add(FileReport.From(script, withPlpgsql));
        }

        if (output.Format == OutputFormat.Json)
        {
            output.WriteJson(new JsonObject { ["files"] = new JsonArray([.. reports.Select(r => Output.Node(r, Output.Types.FileReport))]) });
        }
        else
        {
            foreach (var report in reports)
            {
                RenderText(output, report);
            }
        }
        var errors = reports.Sum(r => r.Errors.Count);
        return Task.FromResult(errors > 0 ? ExitCodes.BadInput : ExitCodes.Success);
    }

    private static void RenderText(Output output, FileReport report)
    {
        var console = output.Console;
        console.Write(new Rule($"[bold]{Output.Escape(report.File)}[/]: {report.Statements.Count} statement(s)").LeftJustified());
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("#", c => c.RightAligned())
            .AddColumn("lines")
            .AddColumn("kind")
            .AddColumn("statement");
        foreach (var s in report.Statements)
        {
            var kind = s.Error is null ? Output.Escape(s.Tag) : $"[red]{Output.Escape(s.Tag)}[/]";
            table.AddRow((s.Index + 1).ToString(), s.Lines, kind, Output.Escape(Shorten(s.Text)));
            foreach (var inner in s.Embedded ?? [])
            {
                table.AddRow("", inner.Line.ToString(), $"[dim]  {Output.Escape(inner.Tag)}[/]", $"[dim]{Output.Escape(Shorten(inner.Text))}[/]");
            }
        }
        console.Write(table);
        foreach (var error in report.Errors)
        {
            output.Error(error.Text);
        }
    }

    private static string Shorten(string text)
    {
        var line = string.Join(' ', text.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
        return line.Length <= 72 ? line : line[..71] + "…";
    }

    internal sealed record ErrorReport(string File, int Line, int Column, string Message, string? Hint, string Text);

    internal sealed record EmbeddedReport(int Line, string Tag, string Text, string? Error);

    internal sealed record StatementReport(int Index, string Kind, string Tag, string Lines, int StartLine, int StartColumn, int EndLine, int EndColumn, int Offset, int Length, string Text, string? NodeKind, string? Error, IReadOnlyList<EmbeddedReport>? Embedded);

    internal sealed record FileReport(string File, IReadOnlyList<StatementReport> Statements, IReadOnlyList<ErrorReport> Errors)
    {
        public static FileReport From(SqlScript script, bool withPlpgsql)
        {
            var errors = new List<SqlError>(script.Errors);
            var statements = new List<StatementReport>();
            foreach (var s in script.Statements)
            {
                IReadOnlyList<EmbeddedReport>? embedded = null;
                if (withPlpgsql && PlpgsqlParser.Parse(script, s) is { } body)
                {
                    if (body.Error is not null)
                    {
                        errors.Add(body.Error);
                    }
                    errors.AddRange(body.Statements.Select(e => e.Error).OfType<SqlError>());
                    embedded = [.. body.Statements.Select(e => new EmbeddedReport(e.Line, e.Tree?.CommandTag ?? "INVALID", e.Sql.Trim(), e.Error?.Message))];
                }
                var lines = s.Span.StartLine == s.Span.EndLine ? $"{s.Span.StartLine}" : $"{s.Span.StartLine}-{s.Span.EndLine}";
                statements.Add(new StatementReport(s.Index, s.Kind.ToString().ToLowerInvariant(), s.CommandTag, lines,
                    s.Span.StartLine, s.Span.StartColumn, s.Span.EndLine, s.Span.EndColumn, s.Span.Start, s.Span.Length,
                    s.Text, s.Tree?.Kind, s.Error?.Message, embedded));
            }
            return new FileReport(script.Source.FileName, statements,
                [.. errors.Select(e => new ErrorReport(e.File, e.Line, e.Column, e.Message, e.Hint, e.ToString()))]);
        }
    }
}
