using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class TruncateCascadeTests
{
    [Theory]
    [InlineData("TRUNCATE accounts CASCADE;", "TRUNCATE accounts CASCADE also empties every table with a foreign key to it")]
    [InlineData("TRUNCATE TABLE accounts, app.users CASCADE;", "TRUNCATE accounts, app.users CASCADE also empties every table with a foreign key to any of them")]
    [InlineData("-- stepwise:up\nTRUNCATE accounts CASCADE;\n", "TRUNCATE accounts CASCADE")]
    public void Flags_truncate_cascade(string sql, string what)
    {
        var finding = LintAssert.Flags<TruncateCascade>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains(what, finding.Message);
        Assert.Contains("none of which the statement names; each gets ACCESS EXCLUSIVE and loses all its rows", finding.Message);
    }

    [Fact]
    public void A_table_created_in_the_file_is_not_exempt_because_older_tables_may_reference_it()
    {
        LintAssert.Flags<TruncateCascade>("""
            CREATE TABLE plans (id int PRIMARY KEY);
            ALTER TABLE accounts ADD COLUMN plan_id int REFERENCES plans;
            TRUNCATE plans CASCADE;
            """);
    }

    [Theory]
    [InlineData("TRUNCATE accounts;")]
    [InlineData("TRUNCATE accounts RESTRICT;")]
    [InlineData("DROP TABLE accounts CASCADE;")]
    public void Passes_truncate_without_cascade_and_look_alikes(string sql)
    {
        LintAssert.Passes<TruncateCascade>(sql);
    }
}
