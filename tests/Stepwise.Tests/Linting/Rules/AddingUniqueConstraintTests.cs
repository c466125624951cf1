using Stepwise.Linting;
using Stepwise.Linting.Rules;

namespace Stepwise.Tests.Linting.Rules;

public class AddingUniqueConstraintTests
{
    [Theory]
    [InlineData("ALTER TABLE workflow_runs ADD UNIQUE (external_id);", "ADD UNIQUE")]
    [InlineData("ALTER TABLE workflow_runs ADD CONSTRAINT runs_external_id_key UNIQUE (external_id);", "ADD CONSTRAINT runs_external_id_key UNIQUE")]
    [InlineData("ALTER TABLE workflow_runs ADD COLUMN external_id uuid UNIQUE;", "ADD COLUMN external_id ... UNIQUE")]
    [InlineData("DO $$ BEGIN ALTER TABLE workflow_runs ADD UNIQUE (external_id); END $$;", "ADD UNIQUE")]
    public void Flags_unique_constraints_that_build_their_index_under_access_exclusive(string sql, string clause)
    {
        var finding = LintAssert.Flags<AddingUniqueConstraint>(sql);

        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains($"ALTER TABLE workflow_runs {clause} builds a unique index over every row of workflow_runs under ACCESS EXCLUSIVE: reads and writes of workflow_runs are blocked", finding.Message);
        Assert.Contains("UNIQUE USING INDEX", finding.Fix);
    }

    [Theory]
    [InlineData("ALTER TABLE workflow_runs ADD CONSTRAINT runs_external_id_key UNIQUE USING INDEX runs_external_id_idx;")]
    [InlineData("CREATE TABLE runs (external_id uuid UNIQUE);")]
    [InlineData("CREATE TABLE runs (external_id uuid); ALTER TABLE runs ADD UNIQUE (external_id);")]
    [InlineData("CREATE UNIQUE INDEX CONCURRENTLY runs_external_id_idx ON workflow_runs (external_id);")]
    [InlineData("ALTER TABLE workflow_runs ADD PRIMARY KEY (id);")]
    public void Passes_constraints_on_existing_indexes_new_tables_and_look_alikes(string sql)
    {
        LintAssert.Passes<AddingUniqueConstraint>(sql);
    }
}
