using Stepwise.Planning;
using Stepwise.Verification;

namespace Stepwise.Tests.Verification;

public class LockMeasurementTests
{
    private static LockMeasurement Measured(int line, int column, LockLevel level) =>
        new("3_concurrent.sql", line, "CREATE INDEX", new Dictionary<string, LockLevel> { ["public.runs"] = level }, [], new Dictionary<string, LockLevel>(), false) { Column = column };

    [Fact]
    public void A_statement_measured_again_on_a_retry_is_reported_once_with_the_last_attempts_locks()
    {
        var found = new List<LockMeasurement> { Measured(2, 1, LockLevel.Share), Measured(2, 30, LockLevel.AccessExclusive) };

        Verifier.Keep(found, [Measured(2, 1, LockLevel.ShareUpdateExclusive)]);

        Assert.Equal([(2, 30, LockLevel.AccessExclusive), (2, 1, LockLevel.ShareUpdateExclusive)], found.Select(l => (l.Line, l.Column, l.Measured["public.runs"])));
    }
}
