using Stepwise.Catalog;

namespace Stepwise.Tests.Catalog;

/// <summary>How a changed definition is named: in full when it is one line, by its first differing line when it has several.</summary>
public class SchemaDiffTextTests
{
    private static string Change(string before, string after) => Assert.Single(SchemaDiff.Compare(
        new SchemaModel { Views = [new ViewModel("public", "v", false, before)] },
        new SchemaModel { Views = [new ViewModel("public", "v", false, after)] })).ToString();

    [Fact]
    public void A_view_of_several_lines_is_named_by_its_first_differing_line_from_a_little_before_the_difference()
    {
        var columns = string.Join(", ", Enumerable.Range(1, 30).Select(i => $"t.column_{i}"));
        var before = $" SELECT t.id,\n    {columns}, t.old\n   FROM t;";
        var after = $" SELECT t.id,\n    {columns}, t.new\n   FROM t;";

        var change = Change(before, after);

        Assert.StartsWith("changed view public.v: definition differs from line 2: \"…", change);
        Assert.Contains("t.column_30, t.old\" → \"…", change);
        Assert.EndsWith("t.column_30, t.new\" (3 → 3 lines)", change);
    }

    [Fact]
    public void A_definition_of_one_line_is_shown_in_full_however_long()
    {
        var columns = string.Join(", ", Enumerable.Range(1, 30).Select(i => $"c{i}"));

        var change = Change($"SELECT {columns}, a FROM t", $"SELECT {columns}, b FROM t");

        Assert.Equal($"changed view public.v: definition SELECT {columns}, a FROM t → SELECT {columns}, b FROM t", change);
    }
}
