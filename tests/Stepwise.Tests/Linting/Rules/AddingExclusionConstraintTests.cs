using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class AddingExclusionConstraintTests
{
    [Theory]
    [InlineData("ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&);", "ADD CONSTRAINT no_overlap EXCLUDE builds a gist index")]
    [InlineData("ALTER TABLE bookings ADD EXCLUDE (room_id WITH =);", "ADD EXCLUDE builds a btree index")]
    [InlineData("DO $$ BEGIN ALTER TABLE bookings ADD EXCLUDE USING gist (during WITH &&); END $$;", "ADD EXCLUDE builds a gist index")]
    public void Flags_exclusion_constraints_added_to_existing_tables(string sql, string message)
    {
        var finding = LintAssert.Flags<AddingExclusionConstraint>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains($"ALTER TABLE bookings {message} over every row of bookings under ACCESS EXCLUSIVE: reads and writes of bookings are blocked", finding.Message);
        Assert.Contains("when the table is created", finding.Fix);
    }

    [Theory]
    [InlineData("CREATE TABLE bookings (during tstzrange, EXCLUDE USING gist (during WITH &&));")]
    [InlineData("CREATE TABLE bookings (during tstzrange); ALTER TABLE bookings ADD EXCLUDE USING gist (during WITH &&);")]
    [InlineData("CREATE INDEX CONCURRENTLY bookings_during_idx ON bookings USING gist (during);")]
    [InlineData("ALTER TABLE bookings ADD UNIQUE (room_id);")]
    public void Passes_new_tables_and_look_alikes(string sql)
    {
        LintAssert.Passes<AddingExclusionConstraint>(sql);
    }
}
