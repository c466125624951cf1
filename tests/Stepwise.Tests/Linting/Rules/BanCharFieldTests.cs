using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class BanCharFieldTests
{
    [Theory]
    [InlineData("CREATE TABLE accounts (country_code char(2));", "column accounts.country_code is char(2)")]
    [InlineData("CREATE TABLE accounts (country_code character(2));", "column accounts.country_code is char(2)")]
    [InlineData("CREATE TABLE accounts (flag char);", "column accounts.flag is char(1)")]
    [InlineData("ALTER TABLE accounts ADD COLUMN country_code bpchar;", "column accounts.country_code is char")]
    [InlineData("ALTER TABLE accounts ALTER COLUMN country_code TYPE char(3);", "column accounts.country_code becomes char(3)")]
    public void Flags_blank_padded_char_columns(string sql, string column)
    {
        var finding = LintAssert.Flags<BanCharField>(sql);

        Assert.Equal(LintSeverity.Warning, finding.Severity);
        Assert.Contains(column, finding.Message);
        Assert.Contains("padded with spaces", finding.Message);
    }

    [Theory]
    [InlineData("CREATE TABLE accounts (country_code text CHECK (char_length(country_code) = 2), name varchar(100));")]
    [InlineData("CREATE TABLE accounts (kind \"char\");")]
    [InlineData("SELECT 'ab'::char(2);")]
    public void Passes_text_the_internal_char_type_and_casts(string sql)
    {
        LintAssert.Passes<BanCharField>(sql);
    }
}
