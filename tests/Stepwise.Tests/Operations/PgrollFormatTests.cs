using Stepwise.Diagnostics;
using Stepwise.Migrations;
using Stepwise.Operations;

namespace Stepwise.Tests.Operations;

/// <summary>Files written in pgroll's format (its operation and field names, its list shapes) read unchanged.</summary>
public class PgrollFormatTests
{
    private static OperationFile Read(string text)
    {
        var problems = new List<MigrationProblem>();
        var file = OperationFileReader.Read(text, "pgroll.yaml", problems);
        Assert.DoesNotContain(problems, p => p.Severity == Severity.Error);
        return file!;
    }

    [Fact]
    public void Create_table_with_column_and_table_constraints()
    {
        var table = Assert.IsType<CreateTable>(Assert.Single(Read("""
            operations:
              - create_table:
                  name: customers
                  columns:
                    - name: id
                      type: integer
                      pk: true
                    - name: name
                      type: varchar(255)
                      unique: true
                    - name: credit_card
                      type: text
                      nullable: true
                    - name: country_id
                      type: integer
                      references:
                        name: customers_country_fk
                        table: countries
                        column: id
                        on_delete: SET NULL
                        on_update: CASCADE
                  constraints:
                    - name: customers_name_check
                      type: check
                      check: length(name) > 0
                    - name: customers_fk
                      type: foreign_key
                      columns: [country_id]
                      references: { table: countries, columns: [id], match_type: FULL }
            """).Operations));

        Assert.Equal([false, false, true, false], table.Columns.Select(c => c.Nullable));
        Assert.True(table.Columns[0].Pk);
        Assert.Equal(("SET NULL", "CASCADE"), (table.Columns[3].References!.OnDelete, table.Columns[3].References!.OnUpdate));
        Assert.Equal(["check", "foreign_key"], table.Constraints.Select(c => c.Type));
        Assert.Equal("FULL", table.Constraints[1].References!.MatchType);
    }

    [Fact]
    public void Add_column_alter_column_and_constraints()
    {
        var file = Read("""
            {
              "name": "17_add_rating_column",
              "operations": [
                { "add_column": { "table": "reviews", "column": { "name": "rating", "type": "text", "default": "'0'" }, "up": "'0'" } },
                { "alter_column": { "table": "reviews", "column": "review", "check": { "name": "review_length", "constraint": "length(review) > 3" },
                                    "up": "SELECT CASE WHEN length(review) <= 3 THEN review || ' (modified)' ELSE review END", "down": "review" } },
                { "create_constraint": { "table": "tickets", "name": "check_zip_code", "type": "check", "columns": ["zip"], "check": "zip > 0",
                                         "up": { "zip": "SELECT CASE WHEN zip <= 0 THEN 1 ELSE zip END" }, "down": { "zip": "zip" } } },
                { "drop_constraint": { "table": "posts", "name": "title_length", "up": "title", "down": "title" } },
                { "rename_constraint": { "table": "people", "from": "name_length", "to": "name_length_check" } }
              ]
            }
            """);

        Assert.Equal("17_add_rating_column", file.Name);
        Assert.Equal(["add_column", "alter_column", "create_constraint", "drop_constraint", "rename_constraint"], file.Operations.Select(o => o.Kind));
        Assert.Equal("'0'", ((AddColumn)file.Operations[0]).Column.Default);
        Assert.Equal("review_length", ((AlterColumn)file.Operations[1]).Check!.Name);
        // pgroll's examples write up as a query: it is kept as the scalar subquery it means.
        Assert.Equal("(SELECT CASE WHEN zip <= 0 THEN 1 ELSE zip END)", ((CreateConstraint)file.Operations[2]).Up!["zip"]);
        Assert.Equal("(SELECT CASE WHEN length(review) <= 3 THEN review || ' (modified)' ELSE review END)", ((AlterColumn)file.Operations[1]).Up);
    }

    [Fact]
    public void Indexes_in_each_of_pgrolls_column_shapes()
    {
        var file = Read("""
            operations:
              - create_index:
                  name: idx_fruits_name
                  table: fruits
                  columns:
                    - column: "name"
              - create_index:
                  name: idx_fruits_id_gt_10
                  table: fruits
                  columns: [id]
                  predicate: id > 10
              - create_index:
                  name: idx_fruits_unique_name
                  table: fruits
                  method: hash
                  storage_parameters: fillfactor = 70
                  columns:
                    name:
                      opclass: { name: text_ops }
                      nulls: LAST
              - drop_index:
                  name: idx_fruits_name
            """);

        var indexes = file.Operations.OfType<CreateIndex>().ToList();
        Assert.Equal([["name"], ["id"], ["name"]], indexes.Select(i => i.Columns.Select(c => c.Name).ToList()));
        Assert.Equal("id > 10", indexes[1].Predicate);
        Assert.Equal(("hash", "fillfactor = 70", "text_ops", "LAST"), (indexes[2].Method, indexes[2].StorageParameters, indexes[2].Columns[0].Opclass, indexes[2].Columns[0].Nulls));
        Assert.Equal("idx_fruits_name", Assert.IsType<DropIndex>(file.Operations[3]).Name);
    }

    [Fact]
    public void Raw_sql_with_down_and_on_complete()
    {
        var file = Read("""
            operations:
              - sql:
                  up: CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)
                  down: DROP TABLE users
              - sql:
                  up: ALTER TABLE users ADD COLUMN age INTEGER
                  onComplete: true
            """);

        Assert.Equal(new RawSql("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)", "DROP TABLE users") { Position = new FilePosition(2, 5) }, file.Operations[0]);
        Assert.True(((RawSql)file.Operations[1]).OnComplete);
    }
}
