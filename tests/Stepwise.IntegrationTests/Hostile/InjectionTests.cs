using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using Stepwise.Cli;
using Stepwise.Embedded;
using Stepwise.Sql;
using Stepwise.Testing;

namespace Stepwise.IntegrationTests.Hostile;

/// <summary>A throwaway PostgreSQL that logs every statement it runs, so a test can read what really ran.</summary>
public sealed partial class StatementLogFixture : IAsyncLifetime
{
    private TempPostgres? _postgres;

    public TempPostgres Postgres => _postgres ?? throw new InvalidOperationException("The fixture has not been initialized.");

    /// <summary>Every logged statement so far (simple and extended protocol), as sent.</summary>
    public async Task<IReadOnlyList<string>> StatementsAsync()
    {
        await Task.Delay(500); // the log is written by a reader of the server's output
        await using var stream = new FileStream(Path.Combine(Postgres.InstanceDirectory, "server.log"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var text = await new StreamReader(stream).ReadToEndAsync();
        return [.. text.Split("\n@@ ").Select(e => Statement().Match(e)).Where(m => m.Success).Select(m => m.Groups["sql"].Value)];
    }

    public async Task InitializeAsync()
    {
        var options = new TempPostgresOptions();
        options.Settings["log_statement"] = "all";
        options.Settings["log_line_prefix"] = "@@ ";
        _postgres = await TempPostgres.StartAsync(options);
    }

    public async Task DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    [GeneratedRegex(@"^(?:@@ )?LOG:\s+(?:statement|execute [^:]*): (?<sql>.*)$", RegexOptions.Singleline)]
    private static partial Regex Statement();
}

/// <summary>
/// Every field of every operation that reaches SQL (identifiers, types, defaults, expressions, text, options)
/// given a value that would run a statement of its own if spliced raw: whether the migration is refused or
/// applied, no injected statement runs — checked in the catalog and in the server's own statement log.
/// </summary>
public class InjectionTests(StatementLogFixture fixture) : IClassFixture<StatementLogFixture>
{
    private const string Base = """
        -- stepwise:up
        CREATE TABLE t (id bigint PRIMARY KEY, a int, b text);
        CREATE TABLE p (id bigint PRIMARY KEY);
        INSERT INTO p VALUES (1);
        INSERT INTO t VALUES (1, 1, 'x');
        CREATE INDEX t_a_idx ON t (a);
        ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0);
        """;

    private enum Kind
    {
        Identifier,
        Expression,
        Text,
        Type,
        Options,
    }

    /// <summary>Each operation with one field (§) to attack, and what kind of field it is.</summary>
    private static readonly (string Operation, Kind Kind)[] Fields =
    [
        ("""{"add_column":{"table":"§","column":{"name":"c","type":"int"}}}""", Kind.Identifier),
        ("""{"add_column":{"table":"t","column":{"name":"§","type":"int"}}}""", Kind.Identifier),
        ("""{"add_column":{"table":"t","column":{"name":"c","type":"§"}}}""", Kind.Type),
        ("""{"add_column":{"table":"t","column":{"name":"c","type":"int","default":"§"}}}""", Kind.Expression),
        ("""{"add_column":{"table":"t","column":{"name":"c","type":"int","check":{"name":"§","constraint":"c > 0"}}}}""", Kind.Identifier),
        ("""{"add_column":{"table":"t","column":{"name":"c","type":"int","check":{"name":"c_chk","constraint":"§"}}}}""", Kind.Expression),
        ("""{"add_column":{"table":"t","column":{"name":"c","type":"text","comment":"§"}}}""", Kind.Text),
        ("""{"add_column":{"table":"t","column":{"name":"c","type":"bigint","references":{"name":"c_fk","table":"§","column":"id"}}}}""", Kind.Identifier),
        ("""{"add_column":{"table":"t","column":{"name":"c","type":"bigint","references":{"name":"§","table":"p","column":"id"}}}}""", Kind.Identifier),
        ("""{"add_column":{"table":"t","column":{"name":"c","type":"int","nullable":false},"up":"§"}}""", Kind.Expression),
        ("""{"create_index":{"name":"§","table":"t","columns":["a"]}}""", Kind.Identifier),
        ("""{"create_index":{"name":"i","table":"t","columns":["§"]}}""", Kind.Identifier),
        ("""{"create_index":{"name":"i","table":"t","columns":["a"],"predicate":"§"}}""", Kind.Expression),
        ("""{"create_index":{"name":"i","table":"t","columns":["a"],"storage_parameters":"§"}}""", Kind.Options),
        ("""{"create_index":{"name":"i","table":"t","columns":["a"],"include":["§"]}}""", Kind.Identifier),
        ("""{"create_index":{"name":"i","table":"t","columns":{"b":{"collate":"§"}}}}""", Kind.Identifier),
        ("""{"create_index":{"name":"i","table":"t","columns":{"b":{"opclass":"§"}}}}""", Kind.Identifier),
        ("""{"create_table":{"name":"§","columns":[{"name":"id","type":"int"}]}}""", Kind.Identifier),
        ("""{"create_table":{"name":"n","columns":[{"name":"§","type":"int"}]}}""", Kind.Identifier),
        ("""{"create_table":{"name":"n","columns":[{"name":"id","type":"§"}]}}""", Kind.Type),
        ("""{"create_table":{"name":"n","columns":[{"name":"id","type":"int","default":"§"}]}}""", Kind.Expression),
        ("""{"create_table":{"name":"n","columns":[{"name":"id","type":"int","comment":"§"}]}}""", Kind.Text),
        ("""{"create_table":{"name":"n","columns":[{"name":"id","type":"int","generated":{"expression":"§"}}]}}""", Kind.Expression),
        ("""{"create_table":{"name":"n","comment":"§","columns":[{"name":"id","type":"int"}]}}""", Kind.Text),
        ("""{"alter_column":{"table":"t","column":"a","default":"§"}}""", Kind.Expression),
        ("""{"alter_column":{"table":"t","column":"a","comment":"§"}}""", Kind.Text),
        ("""{"alter_column":{"table":"t","column":"a","check":{"name":"a_chk","constraint":"§"}}}""", Kind.Expression),
        ("""{"alter_column":{"table":"t","column":"§","nullable":true}}""", Kind.Identifier),
        ("""{"alter_column":{"table":"t","column":"a","nullable":false,"up":"§"}}""", Kind.Expression),
        ("""{"alter_column":{"table":"t","column":"a","unique":{"name":"§"}}}""", Kind.Identifier),
        ("""{"create_constraint":{"table":"t","name":"§","type":"check","check":"a > 0"}}""", Kind.Identifier),
        ("""{"create_constraint":{"table":"t","name":"k","type":"check","check":"§"}}""", Kind.Expression),
        ("""{"create_constraint":{"table":"t","name":"k","type":"foreign_key","columns":["id"],"references":{"table":"§","columns":["id"]}}}""", Kind.Identifier),
        ("""{"create_constraint":{"table":"t","name":"k","type":"unique","columns":["§"]}}""", Kind.Identifier),
        ("""{"drop_column":{"table":"t","column":"§"}}""", Kind.Identifier),
        ("""{"drop_column":{"table":"t","column":"b","down":"§"}}""", Kind.Expression),
        ("""{"drop_constraint":{"table":"t","name":"§"}}""", Kind.Identifier),
        ("""{"rename_constraint":{"table":"t","from":"t_a_check","to":"§"}}""", Kind.Identifier),
        ("""{"drop_index":{"name":"§"}}""", Kind.Identifier),
        ("""{"drop_table":{"name":"§"}}""", Kind.Identifier),
        ("""{"backfill":{"table":"t","set":{"a":"§"}}}""", Kind.Expression),
        ("""{"backfill":{"table":"t","set":{"a":"1"},"where":"§"}}""", Kind.Expression),
        ("""{"backfill":{"table":"t","set":{"§":"1"}}}""", Kind.Identifier),
        ("""{"create_view":{"name":"§","definition":"SELECT 1 AS x"}}""", Kind.Identifier),
        ("""{"create_view":{"name":"v","definition":"§"}}""", Kind.Expression),
    ];

    private static IEnumerable<string> Payloads(Kind kind, int n) => kind switch
    {
        Kind.Identifier => [$"x\"; CREATE TABLE injected_{n} (a int); --"],
        Kind.Expression => [$"1); CREATE TABLE injected_{n} (a int); SELECT (1", $"1; CREATE TABLE injected_{n} (a int)"],
        Kind.Text => [$"x'; CREATE TABLE injected_{n} (a int); --", $"x$$; CREATE TABLE injected_{n} (a int); --"],
        Kind.Type => [$"int; CREATE TABLE injected_{n} (a int)", $"int DEFAULT 1); CREATE TABLE injected_{n} (a int); --"],
        _ => [$"fillfactor=70); CREATE TABLE injected_{n} (a int); --"],
    };

    [Fact]
    public async Task No_field_of_any_operation_runs_an_injected_statement()
    {
        var n = 0;
        var outcomes = new Dictionary<int, string>();
        foreach (var (operation, kind) in Fields)
        {
            foreach (var payload in Payloads(kind, ++n).Select(p => (n, p)).ToList())
            {
                var json = "{\"operations\":[" + operation.Replace("§", JsonSerializer.Serialize(payload.p)[1..^1], StringComparison.Ordinal) + "]}";
                var connection = await fixture.Postgres.CreateDatabaseAsync($"inj_{Environment.ProcessId}_{payload.n}_{outcomes.Count}");
                var directory = Directory.CreateTempSubdirectory("stepwise-inj-").FullName;
                try
                {
                    await File.WriteAllTextAsync(Path.Combine(directory, "1_base.sql"), Base);
                    await File.WriteAllTextAsync(Path.Combine(directory, "2_op.json"), json);
                    var (code, stdout, stderr) = await CliInvocation.RunAsync(["apply", "--complete", "--dir", directory, "--no-color"],
                        new Dictionary<string, string> { ["STEPWISE_DATABASE_URL"] = connection }, directory);
                    outcomes[outcomes.Count] = $"{code} {json}";

                    // Applied, refused (2), or rejected by the server as a name or value that does not exist (3): never a crash.
                    Assert.True(code is 0 or 2 or 3 && !stderr.Contains("--verbose for details", StringComparison.Ordinal), $"exit {code} for {json}:\n{stderr}");
                    await using var db = new NpgsqlConnection(connection);
                    await db.OpenAsync();
                    await using var check = new NpgsqlCommand("SELECT string_agg(relname, ', ') FROM pg_class WHERE relname LIKE 'injected%'", db);
                    Assert.True(await check.ExecuteScalarAsync() is DBNull, $"injected through {json}");
                }
                finally
                {
                    NpgsqlConnection.ClearAllPools();
                    Directory.Delete(directory, recursive: true);
                }
            }
        }

        // The server's own record: no statement it ran touches an injected_ table (text inside quoted names and literals is no statement).
        var ran = await fixture.StatementsAsync();
        Assert.NotEmpty(ran);
        foreach (var sql in ran)
        {
            foreach (var statement in SqlParser.Parse(sql).Statements.Where(s => s.Tree is not null))
            {
                Assert.False(statement.Tree!.Relations.Any(r => r.Name.StartsWith("injected", StringComparison.Ordinal)), $"the server ran: {statement.Text}");
            }
        }
        Assert.True(outcomes.Values.Count(o => o.StartsWith('0')) >= 5, "too few migrations applied for the test to mean anything:\n" + string.Join('\n', outcomes.Values));
    }
}
