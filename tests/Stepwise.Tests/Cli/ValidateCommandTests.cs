namespace Stepwise.Tests.Cli;

public class ValidateCommandTests
{
    [Fact]
    public async Task Many_migrations_without_a_down_section_are_one_warning_with_a_count_and_a_few_names()
    {
        using var cli = new CliRunner();
        for (var i = 1; i <= 140; i++)
        {
            cli.Write($"migrations/{i}_m{i}.sql", $"-- stepwise:up\nCREATE TABLE t{i} (id int);\n");
        }
        cli.Write("migrations/141_with_down.sql", "-- stepwise:up\nCREATE TABLE t141 (id int);\n-- stepwise:down\nDROP TABLE t141;\n");
        await cli.Run("hash");

        var (code, output, error) = await cli.Run("validate", "--no-color");

        Assert.Equal(0, code);
        Assert.Contains("warning: 140 migrations have no down section and cannot be rolled back: 1_m1.sql, 2_m2.sql, 3_m3.sql, ...", error);
        Assert.Single(error.Split('\n'), l => l.Contains("no down section", StringComparison.Ordinal));
        Assert.Contains("141 versioned and 0 repeatable migration(s): 0 error(s), 1 warning(s)", output);
    }

    [Fact]
    public async Task A_few_migrations_without_a_down_section_are_named_one_by_one()
    {
        using var cli = new CliRunner();
        cli.Write("migrations/1_a.sql", "-- stepwise:up\nCREATE TABLE a (id int);\n");
        cli.Write("migrations/2_b.sql", "-- stepwise:up\nCREATE TABLE b (id int);\n");
        await cli.Run("hash");

        var (_, _, error) = await cli.Run("validate", "--no-color");

        Assert.Equal(2, error.Split('\n').Count(l => l.Contains("no down section: this migration cannot be rolled back", StringComparison.Ordinal)));
    }
}
