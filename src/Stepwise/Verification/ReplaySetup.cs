using Npgsql;
using Stepwise.Connections;
using Stepwise.Diagnostics;
using Stepwise.Execution;
using Stepwise.Sql;

namespace Stepwise.Verification;

/// <summary>
/// SQL that prepares the throwaway database before a directory is replayed on it: what a history assumes
/// but does not create (a schema <c>auth</c>, an extension, another tool's history table that a migration
/// alters). It runs statement by statement, each on its own (no transaction), before the first migration.
/// </summary>
public sealed class ReplaySetup
{
    private ReplaySetup(string file, SqlScript script)
    {
        File = file;
        Script = script;
    }

    /// <summary>The file the SQL was read from, as given.</summary>
    public string File { get; }

    internal SqlScript Script { get; }

    /// <summary>Reads and parses <paramref name="path"/>; messages name it <paramref name="displayName"/> (default: the path).</summary>
    /// <exception cref="MigrationRefusedException">The file cannot be read or its SQL does not parse.</exception>
    public static ReplaySetup Load(string path, string? displayName = null)
    {
        displayName ??= path;
        string text;
        try
        {
            text = System.IO.File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new MigrationRefusedException($"{displayName}: cannot read the setup SQL ({ex.Message}); give the file that prepares the throwaway database");
        }
        return FromSql(displayName, text);
    }

    /// <summary>Setup SQL given as text; <paramref name="file"/> names it in messages.</summary>
    /// <exception cref="MigrationRefusedException">The SQL does not parse.</exception>
    public static ReplaySetup FromSql(string file, string sql)
    {
        var script = SqlParser.Split(sql, file);
        if (!script.IsValid)
        {
            throw new MigrationRefusedException($"{file}: the setup SQL does not parse; fix it before the replay",
                [.. script.Errors.Select(e => new MigrationProblem(Severity.Error, "setup-syntax", file, e.Line, e.Column, e.Message, e.Hint))]);
        }
        return new ReplaySetup(file, script);
    }

    /// <summary>Runs every statement on <paramref name="connectionString"/>.</summary>
    /// <exception cref="MigrationRefusedException">A statement fails: named by file, line and column; the replay does not start.</exception>
    internal async Task RunAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = DataSources.Connection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        foreach (var statement in Script.Statements)
        {
            try
            {
                await using var command = new NpgsqlCommand(statement.Text, connection);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException ex)
            {
                var (line, column) = ex.Position > 0
                    ? Script.Source.LineColumn(Script.Source.CodePointPositionToChar(statement.Span.Start, ex.Position))
                    : (statement.Span.StartLine, statement.Span.StartColumn);
                throw new MigrationRefusedException($"{File}: the setup SQL fails on the throwaway database, so nothing was replayed",
                    [new MigrationProblem(Severity.Error, "setup-failed", File, line, column, $"{ex.SqlState}: {ex.MessageText}",
                        "the setup runs on an empty database before the first migration: fix the statement (it must not need anything the migrations create)")]);
            }
        }
    }
}
