using Stepwise.Diagnostics;
using Stepwise.Migrations;
using Stepwise.Operations;

namespace Stepwise.Tests.Operations;

public class OperationFileReaderTests
{
    internal const string Reference = """
        operations:
          - add_column:
              table: workflow_runs
              column:
                name: organization_id
                type: uuid
                nullable: false
                references: { name: workflow_runs_organization_id_fkey, table: organizations, column: id }
              up: (SELECT w.organization_id FROM workflows w WHERE w.id = workflow_id)
          - create_index:
              name: workflow_runs_org_created_idx
              table: workflow_runs
              columns: { organization_id: {}, created_at: { sort: DESC } }
        """;

    private static (OperationFile? File, List<MigrationProblem> Problems) Read(string text, string path = "m/1_x.yaml")
    {
        var problems = new List<MigrationProblem>();
        var file = OperationFileReader.Read(text, path, problems);
        return (file, problems);
    }

    private static OperationFile Ok(string text)
    {
        var (file, problems) = Read(text);
        Assert.DoesNotContain(problems, p => p.Severity == Severity.Error);
        return file!;
    }

    /// <summary>The only error, as code:line:col.</summary>
    private static string Error(string text)
    {
        var (file, problems) = Read(text);
        Assert.Null(file);
        var error = Assert.Single(problems, p => p.Severity == Severity.Error);
        return $"{error.Code}:{error.Line}:{error.Column}";
    }

    [Fact]
    public void Reference_file_parses_to_the_expected_records()
    {
        var file = Ok(Reference);

        Assert.Null(file.Name);
        Assert.Equal(2, file.Operations.Count);
        var add = Assert.IsType<AddColumn>(file.Operations[0]);
        Assert.Equal(new FilePosition(2, 5), add.Position);
        Assert.Equal("workflow_runs", add.Table);
        Assert.Equal("(SELECT w.organization_id FROM workflows w WHERE w.id = workflow_id)", add.Up);
        Assert.Equal(new ColumnDefinition("organization_id", "uuid", Nullable: false,
            References: new ForeignKeyReference("workflow_runs_organization_id_fkey", "organizations", "id")) { Position = new FilePosition(5, 9) }, add.Column);
        Assert.Equal(new FilePosition(5, 9), add.Column.Position);
        var index = Assert.IsType<CreateIndex>(file.Operations[1]);
        Assert.Equal(new FilePosition(10, 5), index.Position);
        Assert.Equal(("workflow_runs_org_created_idx", "workflow_runs", false, (string?)null), (index.Name, index.Table, index.Unique, index.Method));
        Assert.Equal([new IndexColumn("organization_id"), new IndexColumn("created_at", Sort: "DESC")], index.Columns);
    }

    [Fact]
    public void Json_file_with_the_same_content_parses_the_same()
    {
        const string Json = """
            {
              "operations": [
                { "add_column": {
                    "table": "workflow_runs",
                    "column": { "name": "organization_id", "type": "uuid", "nullable": false,
                                "references": { "name": "workflow_runs_organization_id_fkey", "table": "organizations", "column": "id" } },
                    "up": "(SELECT w.organization_id FROM workflows w WHERE w.id = workflow_id)" } },
                { "create_index": { "name": "workflow_runs_org_created_idx", "table": "workflow_runs",
                    "columns": { "organization_id": {}, "created_at": { "sort": "DESC" } } } }
              ]
            }
            """;
        var yaml = Ok(Reference);
        var json = Ok(Json);
        var (yamlAdd, jsonAdd) = ((AddColumn)yaml.Operations[0], (AddColumn)json.Operations[0]);
        Assert.Equal(yamlAdd with { Position = default, Column = yamlAdd.Column with { Position = default } },
            jsonAdd with { Position = default, Column = jsonAdd.Column with { Position = default } });
        Assert.Equal(((CreateIndex)yaml.Operations[1]).Columns, ((CreateIndex)json.Operations[1]).Columns);
        Assert.Equal([new FilePosition(3, 7), new FilePosition(8, 7)], json.Operations.Select(o => o.Position));
    }

    [Fact]
    public void Json_file_with_an_unknown_field_names_its_line_and_column() =>
        Assert.Equal("unknown-field:1:47", Error("""{"operations": [{"drop_index": {"name": "i", "tabel": "t"}}]}""".Replace("\"name\": \"i\", ", "\"name\": \"i\",  ", StringComparison.Ordinal)));

    [Fact]
    public void A_column_without_nullable_is_not_null_as_in_pgroll()
    {
        var file = Ok("operations:\n  - add_column:\n      table: t\n      column: {name: c, type: int}\n");
        Assert.False(Assert.IsType<AddColumn>(file.Operations[0]).Column.Nullable);
    }

    [Fact]
    public void Unknown_operation_suggests_the_nearest_name()
    {
        var (_, problems) = Read("operations:\n  - add_colum:\n      table: t\n");
        var error = Assert.Single(problems);
        Assert.Equal(("unknown-operation", 2, 5), (error.Code, error.Line, error.Column));
        Assert.Contains("did you mean 'add_column'?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_field_suggests_the_nearest_name()
    {
        var (_, problems) = Read("operations:\n  - drop_column:\n      table: t\n      colum: c\n");
        Assert.Equal(["unknown-field:4:7", "missing-field:3:7"], problems.Select(p => $"{p.Code}:{p.Line}:{p.Column}"));
        Assert.Contains("did you mean 'column'?", problems[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_type_says_what_was_expected_and_what_was_found()
    {
        var (_, problems) = Read("operations:\n  - drop_column:\n      table: [a, b]\n      column: c\n");
        var error = Assert.Single(problems);
        Assert.Equal(("wrong-type", 3, 14), (error.Code, error.Line, error.Column));
        Assert.Contains("must be text, not a list", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("operations:\n  - drop_index: {}\n", "missing-field:2:17")]
    [InlineData("operations: []\n", "empty-operations:1:13")]
    [InlineData("operations:\n", "empty-operations:1:12")]
    [InlineData("operations: ~\n", "empty-operations:1:13")]
    [InlineData("operations: {drop_index: {name: i}}\n", "wrong-type:1:13")]
    [InlineData("operations: add_column\n", "wrong-type:1:13")]
    [InlineData("name: x\n", "missing-field:1:1")]
    [InlineData("", "empty-operations:1:1")]
    [InlineData("# only a comment\n", "empty-operations:1:1")]
    [InlineData("- drop_index: {name: i}\n", "wrong-type:1:1")]
    [InlineData("operations:\n  - drop_index: {name: i\n", "invalid-yaml:3:1")]
    [InlineData("operations:\n  - drop_index:\n      name: i\n      name: j\n", "duplicate-key:4:7")]
    [InlineData("operations:\n  - drop_index:\n    name: i\n", "not-one-operation:3:5")]
    [InlineData("operations:\n  - drop_index: {name: i}\n    drop_table: {name: t}\n", "not-one-operation:3:5")]
    [InlineData("operations:\n  - drop_index\n", "not-one-operation:2:5")]
    [InlineData("operations:\n  - drop_index:\n", "wrong-type:2:5")]
    [InlineData("operations:\n  - alter_column: {table: t, column: c, type: bigint DEFAULT 1}\n", "not-a-type:2:62")]
    [InlineData("operations:\n  - rename_column: {table: t, from: a}\n", "missing-field:2:20")]
    [InlineData("operations:\n  - alter_column: {table: t, column: c}\n", "missing-field:2:19")]
    [InlineData("operations:\n  - alter_column: {table: t, column: c, nullable: \"no\"}\n", "wrong-type:2:51")]
    [InlineData("operations:\n  - create_index: {name: i, table: t, columns: [a], method: btre}\n", "wrong-value:2:61")]
    [InlineData("operations:\n  - create_index: {name: i, table: t, columns: {a: {sort: DOWN}}}\n", "wrong-value:2:59")]
    [InlineData("operations:\n  - create_index: {name: i, table: t, columns: {a: {nulls: MIDDLE}}}\n", "wrong-value:2:60")]
    [InlineData("operations:\n  - create_index: {name: i, table: t, columns: []}\n", "empty-value:2:48")]
    [InlineData("operations:\n  - create_constraint: {table: t, name: c, type: primary, columns: [a]}\n", "wrong-value:2:50")]
    [InlineData("operations:\n  - add_column: {table: t, column: {name: c, type: int, references: {name: f, table: o, column: id, on_delete: DROP}}}\n", "wrong-value:2:112")]
    [InlineData("operations:\n  - assert: {name: a, sql: SELECT 1, when: later}\n", "wrong-value:2:44")]
    [InlineData("operations:\n  - backfill: {table: t, set: {}}\n", "empty-value:2:31")]
    [InlineData("operations:\n  - backfill: {table: t, set: [a]}\n", "wrong-type:2:31")]
    [InlineData("operations:\n  - add_column: {table: t, column: {name: c, type: int}, up: 'coalesce(a,'}\n", "sql-syntax-error:2:74")]
    [InlineData("operations:\n  - add_column: {table: t, column: {name: c, type: int}, up: 1; DROP TABLE t}\n", "sql-syntax-error:2:62")]
    [InlineData("operations:\n  - create_view: {name: v, definition: DELETE FROM t}\n", "sql-syntax-error:2:40")]
    [InlineData("operations:\n  - sql: {up: CREATE TABLE t (a int), down: DROP TABLE t, onComplete: true}\n", "wrong-value:2:39")]
    [InlineData("operations:\n  - create_table: {name: t, columns: [{name: a, type: int}, {name: a, type: text}]}\n", "duplicate-column:2:61")]
    [InlineData("operations:\n  - create_table: {name: t, columns: [{name: id, type: int}], constraints: [{name: x, type: exclude}]}\n", "missing-field:2:77")]
    public void Malformed_files_give_the_code_line_and_column(string text, string expected) => Assert.Equal(expected, Error(text));

    [Theory]
    [InlineData("- drop_constraint: {table: t, name: c, up: title, down: title}")]
    [InlineData("- drop_multicolumn_constraint: {table: t, name: c, up: {a: a, b: b}, down: {a: a, b: \"b\"}}")]
    [InlineData("- create_constraint: {table: t, name: c, type: unique, columns: [a, b], up: {a: a}, down: {a: a, b: b}}")]
    public void Pgroll_up_and_down_that_keep_values_as_they_are_say_nothing_stepwise_ignores(string operation)
    {
        var (file, problems) = Read($"operations:\n  {operation}\n");
        Assert.NotNull(file);
        Assert.Empty(problems);
    }

    [Fact]
    public void Pgroll_fields_that_mean_nothing_here_are_warnings()
    {
        var (file, problems) = Read("version_schema: v1\noperations:\n  - drop_constraint: {table: t, name: c, up: 'x+1', down: 'y+1'}\n");
        Assert.NotNull(file);
        Assert.Equal("v1", file.VersionSchema);
        Assert.Equal(["ignored-field:3:46", "ignored-field:3:59"], problems.Select(p => $"{p.Code}:{p.Line}:{p.Column}"));
        Assert.All(problems, p => Assert.Equal(Severity.Warning, p.Severity));
    }

    [Fact]
    public void Every_operation_of_the_format_reads()
    {
        var file = Ok("""
            name: everything
            operations:
              - create_table:
                  name: orders
                  comment: all orders
                  columns:
                    - { name: id, type: bigint, pk: true, generated: { identity: { user_specified_values: BY DEFAULT } } }
                    - { name: total, type: numeric, default: "0", check: { name: total_positive, constraint: total >= 0 } }
                    - { name: note, type: text, nullable: true, comment: free text }
                    - { name: doubled, type: numeric, generated: { expression: total * 2 } }
                  constraints:
                    - { name: orders_note_unique, type: unique, columns: [note], nulls_not_distinct: true }
              - alter_column: { table: orders, column: note, nullable: false, up: "coalesce(note, '')", default: null, comment: null }
              - alter_column: { table: orders, column: total, unique: { name: total_unique } }
              - create_constraint: { table: orders, name: orders_customer_fkey, type: foreign_key, columns: [customer_id],
                                     references: { table: customers, columns: [id], on_delete: cascade } }
              - backfill: { table: orders, set: { total: "total + 1" }, where: total IS NULL }
              - create_view: { name: order_totals, definition: "SELECT id, total FROM orders" }
              - replace_view: { name: order_totals, definition: "SELECT id, total, note FROM orders" }
              - assert: { name: no_negative, sql: "SELECT 1 FROM orders WHERE total < 0", when: complete }
              - sql: { up: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", down: DROP FUNCTION f, complete: "ANALYZE orders" }
              - create_index: { name: orders_note_idx, table: orders, columns: [{ column: note, opclass: { name: text_pattern_ops }, collate: C }],
                                predicate: note IS NOT NULL, method: btree, include: [total], unique: true, storage_parameters: fillfactor=70 }
              - drop_index: { name: old_idx }
              - rename_constraint: { table: orders, from: a, to: b }
              - drop_multicolumn_constraint: { table: orders, name: orders_note_unique, up: {}, down: {} }
              - drop_column: { table: orders, column: legacy, down: "'n/a'" }
              - drop_table: { name: legacy_orders }
            """);

        Assert.Equal("everything", file.Name);
        Assert.Equal(
            ["create_table", "alter_column", "alter_column", "create_constraint", "backfill", "create_view", "replace_view", "assert", "sql", "create_index",
             "drop_index", "rename_constraint", "drop_constraint", "drop_column", "drop_table"],
            file.Operations.Select(o => o.Kind));
        var table = (CreateTable)file.Operations[0];
        Assert.Equal("by default", table.Columns[0].Identity);
        Assert.Equal(("0", "total_positive", false), (table.Columns[1].Default, table.Columns[1].Check!.Name, table.Columns[1].Nullable));
        Assert.True(table.Columns[2].Nullable);
        Assert.Equal("total * 2", table.Columns[3].Generated);
        Assert.True(Assert.Single(table.Constraints).NullsNotDistinct);
        var alter = (AlterColumn)file.Operations[1];
        Assert.Equal((false, true, null, true, null), (alter.Nullable, alter.Default, alter.DefaultValue, alter.Comment, alter.CommentValue));
        Assert.Equal("total_unique", ((AlterColumn)file.Operations[2]).Unique!.Name);
        Assert.Equal("CASCADE", ((CreateConstraint)file.Operations[3]).References!.OnDelete);
        Assert.Equal("total IS NULL", ((Backfill)file.Operations[4]).Where);
        Assert.True(((CreateView)file.Operations[6]).Replace);
        Assert.Equal("complete", ((AssertOperation)file.Operations[7]).When);
        Assert.Equal("ANALYZE orders", ((RawSql)file.Operations[8]).Complete);
        var index = (CreateIndex)file.Operations[9];
        Assert.Equal(new IndexColumn("note", Opclass: "text_pattern_ops", Collate: "C"), Assert.Single(index.Columns));
        Assert.Equal(("note IS NOT NULL", "btree", "fillfactor=70", true), (index.Predicate, index.Method, index.StorageParameters, index.Unique));
        Assert.Equal("'n/a'", ((DropColumn)file.Operations[13]).Down);
    }

    [Fact]
    public void Problems_in_several_operations_are_all_reported()
    {
        var (_, problems) = Read("operations:\n  - drop_index: {}\n  - drop_tabel: {name: t}\n  - drop_column: {table: t, column: 5, extra: 1}\n");
        Assert.Equal(["missing-field:2:17", "unknown-operation:3:5", "unknown-field:4:40"], problems.Select(p => $"{p.Code}:{p.Line}:{p.Column}"));
    }

    [Fact]
    public void Truncations_of_the_reference_file_give_problems_never_exceptions()
    {
        var random = new Random(20261121);
        for (var i = 0; i < 300; i++)
        {
            var cut = random.Next(0, Reference.Length);
            var text = i % 2 == 0 ? Reference[..cut] : Reference.Remove(cut, Math.Min(random.Next(1, 8), Reference.Length - cut));
            var (file, problems) = Read(text);
            Assert.True(file is not null || problems.Any(p => p.Severity == Severity.Error), $"no file and no error for: {text}");
            Assert.All(problems, p => Assert.True(p.Line >= 1 && p.Column >= 1, p.ToString()));
        }
    }

    [Fact]
    public void Deep_nesting_is_refused_not_a_stack_overflow() =>
        Assert.Equal("invalid-yaml:1:76", Error("operations: " + new string('[', 100000)));
}
