using Stepwise.Execution;
using Stepwise.Fleet;

namespace Stepwise.Tests.Fleet;

public sealed class FleetTargetsTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"stepwise-targets-{Guid.NewGuid():N}.txt");

    public void Dispose() => File.Delete(_file);

    [Fact]
    public void A_targets_file_gives_names_in_order_skipping_comments_and_blank_lines()
    {
        File.WriteAllText(_file, """
            # tenants, canary first
            tenant-a postgres://app:secret@db1:5432/tenant_a

              tenant-b	Host=db2;Database=tenant_b;Username=app
            postgres://app@db3/tenant_c
            Host=db4;Database=tenant d;Username=app
            """);

        var targets = FleetTargets.ReadFile(_file);

        Assert.Equal(["tenant-a", "tenant-b", "db3:5432/tenant_c", "db4:5432/tenant d"], targets.Select(t => t.Name));
        Assert.Equal("secret", targets[0].Database.Password);
        Assert.DoesNotContain("secret", targets[0].Database.ToString());
    }

    [Fact]
    public void A_bad_line_and_a_repeated_name_are_refused_with_their_line_and_column_and_no_password()
    {
        File.WriteAllText(_file, "a postgres://app@db1/one\n\n  b postgres://app:hunter2@db2:notaport/two\na postgres://app@db3/three\n");

        var refused = Assert.Throws<MigrationRefusedException>(() => FleetTargets.ReadFile(_file));

        Assert.Equal(["bad-target:3:5", "duplicate-target:4:1"], refused.Problems.Select(p => $"{p.Code}:{p.Line}:{p.Column}"));
        Assert.Contains("line 1", refused.Problems[1].Message);
        Assert.DoesNotContain(refused.Problems, p => p.ToString().Contains("hunter2", StringComparison.Ordinal));
    }

    [Fact]
    public void A_targets_file_of_only_comments_is_refused()
    {
        File.WriteAllText(_file, "# nobody yet\n\n");

        var refused = Assert.Throws<MigrationRefusedException>(() => FleetTargets.ReadFile(_file));

        Assert.Contains("lists no database", refused.Message);
    }
}
