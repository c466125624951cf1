using Stepwise.Migrations;

namespace Stepwise.Tests.Migrations;

public class SumFileTests
{
    private static TempDirectory WithSum(params (string Name, string Content)[] files)
    {
        var dir = new TempDirectory();
        foreach (var (name, content) in files)
        {
            dir.Write(name, content);
        }
        dir.Write(SumFile.FileName, MigrationDirectory.Load(dir.Path).ComputedSum.Render());
        return dir;
    }

    private static readonly (string, string)[] s_three =
    [
        ("1_a.sql", "-- stepwise:up\nSELECT 1;"),
        ("2_b.sql", "-- stepwise:up\nSELECT 2;"),
        ("3_c.sql", "-- stepwise:up\nSELECT 3;"),
    ];

    [Fact]
    public void A_matching_sum_has_no_problems_and_lists_every_file_after_the_total()
    {
        using var dir = WithSum(s_three);

        var d = MigrationDirectory.Load(dir.Path);

        Assert.Empty(d.Problems);
        var lines = File.ReadAllLines(Path.Combine(dir.Path, SumFile.FileName));
        Assert.StartsWith("h1:", lines[0]);
        Assert.Equal(["1_a.sql", "2_b.sql", "3_c.sql"], lines.Skip(1).Select(l => l.Split(' ')[0]));
    }

    [Fact]
    public void A_file_in_progress_may_be_edited_but_not_removed_and_the_files_after_it_stay_checked()
    {
        using var dir = new TempDirectory();
        foreach (var (name, content) in s_three)
        {
            dir.Write(name, content);
        }
        dir.Write(SumFile.FileName, MigrationDirectory.Load(dir.Path).SumWithInProgress(new HashSet<string> { "2_b.sql" }).Render());

        dir.Write("2_b.sql", "-- stepwise:up\nSELECT 22;");
        var edited = MigrationDirectory.Load(dir.Path);
        dir.Write("3_c.sql", "-- stepwise:up\nSELECT 33;");
        var later = MigrationDirectory.Load(dir.Path);
        File.Delete(Path.Combine(dir.Path, "2_b.sql"));
        var removed = MigrationDirectory.Load(dir.Path);

        Assert.Contains("2_b.sql in-progress", File.ReadAllText(Path.Combine(dir.Path, SumFile.FileName)));
        Assert.Empty(edited.Problems);
        Assert.Equal(["2_b.sql"], edited.InProgress);
        Assert.Contains("3_c.sql was changed after stepwise.sum was written", Assert.Single(later.Problems).Message);
        Assert.Contains("2_b.sql is listed in stepwise.sum but is not in the directory", Assert.Single(removed.Problems).Message);
        Assert.DoesNotContain("in-progress", removed.ComputedSum.Render()); // what stepwise hash writes: every file sealed
    }

    [Fact]
    public void An_edit_names_the_edited_file()
    {
        using var dir = WithSum(s_three);
        dir.Write("2_b.sql", "-- stepwise:up\nSELECT 22;");

        var problem = Assert.Single(MigrationDirectory.Load(dir.Path).Problems);

        Assert.Equal(("sum-mismatch", 3), (problem.Code, problem.Line));
        Assert.Contains("2_b.sql was changed after stepwise.sum was written", problem.Message);
    }

    [Fact]
    public void An_added_file_and_a_removed_file_are_named()
    {
        using var dir = WithSum(s_three);
        dir.Write("4_d.sql", "-- stepwise:up\nSELECT 4;");
        Assert.Contains("4_d.sql is not in stepwise.sum", Assert.Single(MigrationDirectory.Load(dir.Path).Problems).Message);

        File.Delete(Path.Combine(dir.Path, "4_d.sql"));
        File.Delete(Path.Combine(dir.Path, "2_b.sql"));
        Assert.Contains("2_b.sql is listed in stepwise.sum but is not in the directory", Assert.Single(MigrationDirectory.Load(dir.Path).Problems).Message);
    }

    [Fact]
    public void An_older_version_inserted_by_a_merge_is_named()
    {
        using var dir = WithSum(("10_a.sql", "-- stepwise:up\nSELECT 1;"), ("20_b.sql", "-- stepwise:up\nSELECT 2;"), ("30_c.sql", "-- stepwise:up\nSELECT 3;"));
        dir.Write("15_late.sql", "-- stepwise:up\nSELECT 15;");

        var problem = Assert.Single(MigrationDirectory.Load(dir.Path).Problems);

        Assert.Equal(3, problem.Line);
        Assert.Contains("15_late.sql is not in stepwise.sum", problem.Message);
    }

    [Fact]
    public void A_hand_edited_sum_is_detected()
    {
        using var dir = WithSum(s_three);
        var path = Path.Combine(dir.Path, SumFile.FileName);
        var lines = File.ReadAllLines(path);
        lines[2] = lines[2][..^3] + "AAA";
        File.WriteAllLines(path, lines);

        var problems = MigrationDirectory.Load(dir.Path).Problems;

        Assert.Contains(problems, p => p.Code == "sum-edited" && p.Line == 1);
    }

    [Fact]
    public void Two_branches_adding_migrations_both_change_the_first_line()
    {
        using var a = WithSum([.. s_three, ("4_from_a.sql", "-- stepwise:up\nSELECT 4;")]);
        using var b = WithSum([.. s_three, ("4_from_b.sql", "-- stepwise:up\nSELECT 5;")]);
        using var main = WithSum(s_three);

        string First(TempDirectory d) => File.ReadAllLines(Path.Combine(d.Path, SumFile.FileName))[0];

        Assert.NotEqual(First(main), First(a));
        Assert.NotEqual(First(main), First(b));
        Assert.NotEqual(First(a), First(b));
    }
}
