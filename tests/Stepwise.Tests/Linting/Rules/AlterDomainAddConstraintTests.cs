using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class AlterDomainAddConstraintTests
{
    [Theory]
    [InlineData("ALTER DOMAIN positive_amount ADD CONSTRAINT positive CHECK (VALUE > 0);", "ALTER DOMAIN positive_amount ADD CONSTRAINT positive CHECK", "positive_amount")]
    [InlineData("ALTER DOMAIN app.positive_amount ADD CHECK (VALUE > 0);", "ALTER DOMAIN app.positive_amount ADD CHECK", "app.positive_amount")]
    [InlineData("DO $$ BEGIN ALTER DOMAIN positive_amount ADD CHECK (VALUE > 0); END $$;", "ALTER DOMAIN positive_amount ADD CHECK", "positive_amount")]
    public void Flags_domain_constraints_checked_against_every_stored_value(string sql, string clause, string domain)
    {
        var finding = LintAssert.Flags<AlterDomainAddConstraint>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains($"{clause} without NOT VALID scans every column of type {domain} in every table, holding SHARE on each of those tables: writes to them are blocked", finding.Message);
        Assert.Contains("NOT VALID", finding.Fix);
    }

    [Theory]
    [InlineData("ALTER DOMAIN positive_amount ADD CONSTRAINT positive CHECK (VALUE > 0) NOT VALID;")]
    [InlineData("ALTER DOMAIN positive_amount VALIDATE CONSTRAINT positive;")]
    [InlineData("ALTER DOMAIN positive_amount DROP CONSTRAINT positive;")]
    [InlineData("CREATE DOMAIN positive_amount AS numeric CHECK (VALUE > 0);")]
    [InlineData("ALTER TABLE payments ADD CONSTRAINT positive CHECK (amount > 0) NOT VALID;")]
    public void Passes_not_valid_constraints_and_look_alikes(string sql)
    {
        LintAssert.Passes<AlterDomainAddConstraint>(sql);
    }
}
