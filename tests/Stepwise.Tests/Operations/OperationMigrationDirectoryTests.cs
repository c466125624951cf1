using Stepwise.Diagnostics;
using Stepwise.Migrations;
using Stepwise.Operations;
using Stepwise.Tests.Cli;
using Stepwise.Tests.Migrations;

namespace Stepwise.Tests.Operations;

public class OperationMigrationDirectoryTests
{
    [Fact]
    public void A_yaml_migration_loads_with_its_operations_and_is_in_the_sum()
    {
        using var dir = new TempDirectory();
        dir.Write("1_init.sql", "-- stepwise:up\nCREATE TABLE workflow_runs (id bigint);\n");
        dir.Write("2_add_org.yaml", OperationFileReaderTests.Reference);
        dir.Write("3_drop_idx.json", """{"operations": [{"drop_index": {"name": "old_idx"}}]}""");

        var d = MigrationDirectory.Load(dir.Path);

        Assert.False(d.HasErrors, string.Join("\n", d.Problems));
        Assert.Equal(["1_init.sql", "2_add_org.yaml", "3_drop_idx.json"], d.Versioned.Select(m => m.FileName));
        var yaml = d.Versioned[1];
        Assert.True(yaml.IsOperationMigration);
        Assert.Null(yaml.Up);
        Assert.Equal(["add_column", "create_index"], yaml.Operations!.Operations.Select(o => o.Kind));
        Assert.Equal((2L, "add_org"), (yaml.Version, yaml.Name));
        Assert.IsType<DropIndex>(Assert.Single(d.Versioned[2].Operations!.Operations));
        Assert.False(d.Versioned[0].IsOperationMigration);
        Assert.Equal(["1_init.sql", "2_add_org.yaml", "3_drop_idx.json"], d.ComputedSum.Render().Split('\n').Skip(1).Where(l => l.Length > 0).Select(l => l.Split(' ')[0]));

        // Written, the sum checks the yaml file like any other: an edit is reported.
        File.WriteAllText(Path.Combine(dir.Path, SumFile.FileName), d.ComputedSum.Render());
        dir.Write("2_add_org.yaml", OperationFileReaderTests.Reference.Replace("DESC", "ASC", StringComparison.Ordinal));
        Assert.Contains(MigrationDirectory.Load(dir.Path).Problems, p => p.Severity == Severity.Error && p.Code.StartsWith("sum-", StringComparison.Ordinal));
    }

    [Fact]
    public void Problems_in_an_operation_file_name_the_file_line_and_column()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("5_bad.yml", "operations:\n  - creat_index: {name: i}\n");

        var problem = Assert.Single(MigrationDirectory.Load(dir.Path).Problems, p => p.Severity == Severity.Error);

        Assert.Equal(("unknown-operation", path, 2, 5), (problem.Code, problem.File, problem.Line, problem.Column));
    }

    [Fact]
    public void Status_style_loading_without_parsing_reads_operation_files()
    {
        using var dir = new TempDirectory();
        dir.Write("5_bad.yaml", "not: [valid");

        var d = MigrationDirectory.Load(dir.Path, new MigrationDirectoryOptions { Parse = false });

        Assert.True(Assert.Single(d.Versioned).IsOperationMigration);
        Assert.False(d.HasErrors);
    }

    [Fact]
    public async Task Validate_reports_a_bad_operation_file_with_file_line_and_column()
    {
        using var cli = new CliRunner();
        cli.Write("migrations/20261121000000_add.yaml", "operations:\n  - alter_column: {table: t, column: c, type: bigint DEFAULT 1}\n");

        var (code, output, error) = await cli.Run("validate", "--no-color");

        Assert.Equal(1, code); // validate: 1 when checks fail
        Assert.Contains(Path.Combine("migrations", "20261121000000_add.yaml") + ":2:62: error: alter_column.type must be a type name and nothing more", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_refuses_a_bad_operation_file_before_connecting_exit_2()
    {
        using var cli = new CliRunner();
        cli.Write("migrations/20261121000000_add.yaml", "operations: []\n");

        var (code, output, error) = await cli.Run("apply", "-d", "Host=127.0.0.1;Port=1;Username=x;Database=x", "--no-color");

        Assert.Equal(2, code);
        Assert.Contains("20261121000000_add.yaml:1:13", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task New_with_operations_writes_a_yaml_skeleton_and_updates_the_sum()
    {
        using var cli = new CliRunner();

        var (code, output, _) = await cli.Run("new", "add_org", "--operations");

        Assert.Equal(0, code);
        var file = Assert.Single(Directory.GetFiles(Path.Combine(cli.WorkingDirectory, "migrations"), "*_add_org.yaml"));
        Assert.Contains(file, output, StringComparison.Ordinal);
        var d = MigrationDirectory.Load(Path.Combine(cli.WorkingDirectory, "migrations"));
        // The skeleton's example is commented out: validate points at the empty list until an operation is written.
        Assert.Equal(["empty-operations"], d.Problems.Select(p => p.Code));
        var uncommented = string.Join("\n", File.ReadAllLines(file).Select(l => l.StartsWith("  # ", StringComparison.Ordinal) ? "  " + l[4..] : l));
        var problems = new List<MigrationProblem>();
        Assert.NotNull(OperationFileReader.Read(uncommented, file, problems));
        Assert.Empty(problems);
    }
}
