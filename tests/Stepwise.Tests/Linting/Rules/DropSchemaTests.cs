using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class DropSchemaTests
{
    [Theory]
    [InlineData("DROP SCHEMA billing CASCADE;")]
    [InlineData("DROP SCHEMA IF EXISTS billing CASCADE;")]
    [InlineData("-- stepwise:up\nDROP SCHEMA billing CASCADE;\n")]
    public void Flags_dropping_a_schema_with_everything_in_it(string sql)
    {
        var finding = LintAssert.Flags<DropSchema>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains("DROP SCHEMA billing CASCADE deletes every table, view, sequence and function in billing with their data, taking ACCESS EXCLUSIVE on each table", finding.Message);
        Assert.Contains("breaks old application instances still running while the migration applies", finding.Message);
    }

    [Fact]
    public void Without_cascade_it_can_only_fail_so_it_is_a_warning()
    {
        var findings = LintAssert.Findings<DropSchema>("DROP SCHEMA billing, reporting;");

        Assert.Equal(2, findings.Count);
        Assert.All(findings, f => Assert.Equal(LintSeverity.Warning, f.Severity));
        Assert.Contains("DROP SCHEMA billing fails, and the migration with it, if anything is still in billing", findings[0].Message);
    }

    [Theory]
    [InlineData("CREATE SCHEMA scratch;\nDROP SCHEMA scratch CASCADE;")]
    [InlineData("CREATE SCHEMA AUTHORIZATION joe;\nDROP SCHEMA joe CASCADE;")]
    [InlineData("DROP TABLE billing.invoices;")]
    [InlineData("DROP OWNED BY billing CASCADE;")]
    public void Passes_schemas_created_in_the_file_and_look_alikes(string sql)
    {
        LintAssert.Passes<DropSchema>(sql);
    }
}
