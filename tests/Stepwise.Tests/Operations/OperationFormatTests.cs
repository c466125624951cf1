using Stepwise.Diagnostics;
using Stepwise.Operations;

namespace Stepwise.Tests.Operations;

/// <summary>What every operation's format shares: registration, a column's type, YAML anchors.</summary>
public class OperationFormatTests
{
    private static (OperationFile? File, List<MigrationProblem> Problems) Read(string text)
    {
        var problems = new List<MigrationProblem>();
        return (OperationFileReader.Read(text, "1_op.yaml", problems), problems);
    }

    [Fact]
    public void Every_operation_declares_its_format_and_each_name_is_read_and_documented()
    {
        var operationTypes = typeof(Operation).Assembly.GetTypes().Where(t => !t.IsAbstract && t.IsSubclassOf(typeof(Operation)));
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Stepwise.slnx")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        }
        var docs = File.ReadAllText(Path.Combine(root, "docs", "operations.md"));

        Assert.Equal(operationTypes.OrderBy(t => t.Name), OperationFormat.Types.OrderBy(t => t.Name));
        Assert.Equal(OperationFormat.Types.SelectMany(t => OperationFormat.Of(t).Names).Order(StringComparer.Ordinal), OperationFileReader.OperationNames);
        Assert.Contains("add_column", OperationFileReader.OperationNames);
        Assert.All(OperationFileReader.OperationNames, name => Assert.Contains($"**`{name}`**", docs, StringComparison.Ordinal));
    }

    [Fact]
    public void An_operation_is_named_as_it_was_written_and_an_alias_as_its_operation()
    {
        var (file, problems) = Read("""
            operations:
              - create_view: {name: v1, definition: SELECT 1}
              - replace_view: {name: v2, definition: SELECT 2}
              - drop_multicolumn_constraint: {table: t, name: c}
              - drop_index: {name: i}
            """);

        Assert.Empty(problems);
        Assert.Equal(["create_view", "replace_view", "drop_constraint", "drop_index"], file!.Operations.Select(o => o.Kind));
    }

    [Theory]
    [InlineData("int GENERATED ALWAYS AS (c * 2) STORED")]
    [InlineData("int REFERENCES t(id) ON DELETE CASCADE")]
    [InlineData("int DEFAULT 1 --")]
    [InlineData("int NOT NULL")]
    [InlineData("text COLLATE \\\"C\\\"")]
    [InlineData("int -- a note")]
    [InlineData("int /* a note */")]
    [InlineData("int AS stepwise_type")]
    [InlineData("int, other int")]
    [InlineData("int) WITH (fillfactor = 10")]
    [InlineData("int CHECK (c > 0)")]
    [InlineData("int::text")]
    [InlineData("int AT TIME ZONE 'UTC'")]
    [InlineData("int UNIQUE")]
    public void A_type_with_anything_more_than_a_type_name_is_refused_at_the_type(string type)
    {
        foreach (var yaml in new[]
        {
            $"operations:\n  - add_column: {{table: t, column: {{name: c, type: \"{type}\"}}}}\n",
            $"operations:\n  - create_table: {{name: t, columns: [{{name: c, type: \"{type}\"}}]}}\n",
        })
        {
            var (file, problems) = Read(yaml);

            Assert.Null(file);
            var problem = Assert.Single(problems);
            Assert.Equal(("not-a-type", 2), (problem.Code, problem.Line));
            var valueColumn = yaml.Split('\n')[1].IndexOf("type: ", StringComparison.Ordinal) + "type: ".Length + 1;
            Assert.InRange(problem.Column, valueColumn, valueColumn + type.Length + 2);
            Assert.Contains("must be a type name and nothing more", problem.Message);
        }
    }

    [Theory]
    [InlineData("bigint")]
    [InlineData("numeric(10,2)")]
    [InlineData("varchar(20)[]")]
    [InlineData("int[][]")]
    [InlineData("integer ARRAY[4]")]
    [InlineData("public.mytype")]
    [InlineData("\\\"My Type\\\"")]
    [InlineData("\\\"my schema\\\".\\\"My Type\\\"[]")]
    [InlineData("timestamp with time zone")]
    [InlineData("time(3) without time zone")]
    [InlineData("double precision")]
    [InlineData("interval day to second")]
    [InlineData("character varying(255)")]
    [InlineData("bit varying(5)")]
    [InlineData("pg_catalog.int8")]
    public void A_type_name_passes(string type)
    {
        var (file, problems) = Read($"operations:\n  - add_column: {{table: t, column: {{name: c, type: \"{type}\", nullable: true}}}}\n");

        Assert.Empty(problems);
        Assert.Equal(type.Replace("\\\"", "\"", StringComparison.Ordinal), Assert.IsType<AddColumn>(Assert.Single(file!.Operations)).Column.Type);
    }

    [Fact]
    public void Anchors_and_aliases_read_as_yaml_1_2_says_also_on_a_scalar_in_a_flow_mapping()
    {
        var (file, problems) = Read("""
            operations:
              - create_index: {name: i80, table: &t good_t, columns: [id]}
              - create_index: {name: i81, table: *t, columns: [&c id, other]}
              - drop_index: {name: &last i82}
              - drop_table: &fields {name: *last}
              - drop_index: *fields
              - create_index:
                  &key name: i84
                  table: *t
                  columns: [*c]
            """);

        Assert.Empty(problems);
        var first = Assert.IsType<CreateIndex>(file!.Operations[0]);
        var second = Assert.IsType<CreateIndex>(file.Operations[1]);
        Assert.Equal(("good_t", "good_t"), (first.Table, second.Table));
        Assert.Equal(["id", "other"], second.Columns.Select(c => c.Name));
        Assert.Equal("i82", Assert.IsType<DropIndex>(file.Operations[2]).Name);
        Assert.Equal("i82", Assert.IsType<DropTable>(file.Operations[3]).Name);
        Assert.Equal("i82", Assert.IsType<DropIndex>(file.Operations[4]).Name);
        var third = Assert.IsType<CreateIndex>(file.Operations[5]);
        Assert.Equal(("i84", "good_t", "id"), (third.Name, third.Table, Assert.Single(third.Columns).Name));
    }

    [Fact]
    public void An_alias_of_an_anchor_never_defined_is_a_yaml_error_where_it_is_written()
    {
        var (file, problems) = Read("operations:\n  - drop_index: {name: *nowhere}\n");

        Assert.Null(file);
        var problem = Assert.Single(problems);
        Assert.Equal(("invalid-yaml", 2, 24), (problem.Code, problem.Line, problem.Column));
        Assert.Contains("*nowhere refers to no anchor", problem.Message);
    }
}
